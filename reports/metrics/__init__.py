"""Metric definitions (one module per family) and the one service that computes them."""

from reports.metrics import business, live_chat, operations, quality, satisfaction, tickets  # noqa: F401 - registers the metrics
from reports.metrics.base import REGISTRY, MetricDefinition, Totals
from reports.metrics.service import DateRange, MetricsQueryError, compute

__all__ = ["REGISTRY", "DateRange", "MetricDefinition", "MetricsQueryError", "Totals", "compute"]
