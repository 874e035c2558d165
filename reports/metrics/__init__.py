"""Metric definitions (one module per family) and the one service that computes them."""

from reports.metrics import (  # noqa: F401 - registers the metrics
    business,
    live_chat,
    operations,
    quality,
    satisfaction,
    staffing,
    tickets,
)
from reports.metrics.base import REGISTRY, MetricDefinition, Totals
from reports.metrics.service import DateRange, MetricsQueryError, compute

__all__ = ["REGISTRY", "DateRange", "MetricDefinition", "MetricsQueryError", "Totals", "compute"]
