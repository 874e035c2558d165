"""Metrics API: ``GET /api/v1/metrics/`` and ``GET /api/v1/metrics/catalogue`` (API.md)."""

import hashlib
import json

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api.base import OrgAPIView
from reports.metrics import REGISTRY, MetricsQueryError, compute
from reports.metrics.base import ALL_BREAKDOWNS

DIMENSIONS = ("agent", "team", "channel", "tag", "segment", "touchpoint")
# What a group carries per metric unless detail=full: the figure (for durations the average),
# its sample and, for durations, the percentiles, numbers to SIGNIFICANT_DIGITS. The unit is
# the metric's, given once in the range totals; the metric's further details (distributions,
# SLA measures, intervals ...) and full precision come with detail=full. A year by hour is
# 8,760 groups: every byte per metric and group counts 0.23 MB for 26 metrics.
GROUP_SUMMARY_FIELDS = ("value", "n", "p50", "p90", "low_sample")
SIGNIFICANT_DIGITS = 6  # far finer than the percentiles' 1.5% and any displayed figure


def _short(value):
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}") if isinstance(value, float) else value


def summarize_groups(groups: list[dict]) -> list[dict]:
    """Each group's metrics cut to GROUP_SUMMARY_FIELDS (those a metric has), floats rounded
    to SIGNIFICANT_DIGITS."""
    return [{**group, "metrics": {mid: {f: _short(result[f]) for f in GROUP_SUMMARY_FIELDS if f in result}
                                  for mid, result in group["metrics"].items()}}
            for group in groups]


class CommaList(serializers.Field):
    """``a,b`` or a repeated parameter, as a list of non-empty strings."""

    def to_internal_value(self, data):
        values = data if isinstance(data, list) else [data]
        return [v.strip() for raw in values for v in str(raw).split(",") if v.strip()]


class DayRangeInput(serializers.Serializer):
    """Query parameters ``from`` and ``to``: a range of the organization's local days."""

    from_ = serializers.DateField(help_text="First local day (inclusive).")
    to = serializers.DateField(help_text="Last local day (inclusive).")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # "from" is a Python keyword
        return fields


# Their OpenAPI description (the views read query parameters through a plain serializer).
DAY_RANGE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First local day, inclusive."),
    OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Last local day, inclusive."),
]


class MetricsView(OrgAPIView):
    """Metric values for a range of the organization's local days, from snapshots."""

    class InputSerializer(DayRangeInput):
        metrics = CommaList(help_text="Comma-separated metric ids (see /api/v1/metrics/catalogue).")
        group_by = serializers.ChoiceField(choices=ALL_BREAKDOWNS, required=False)
        compare = serializers.ChoiceField(choices=["previous", "none"], required=False, default="previous")
        detail = serializers.ChoiceField(choices=["summary", "full"], required=False, default="summary")
        agent = CommaList(required=False, default=list)
        team = CommaList(required=False, default=list)
        channel = CommaList(required=False, default=list)
        tag = CommaList(required=False, default=list)
        segment = CommaList(required=False, default=list)
        touchpoint = CommaList(required=False, default=list)

    @extend_schema(
        operation_id="metrics_retrieve",
        parameters=[
            OpenApiParameter("metrics", OpenApiTypes.STR, required=True, description="e.g. first_response_time,csat"),
            *DAY_RANGE_PARAMETERS,
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(ALL_BREAKDOWNS)),
            OpenApiParameter("compare", OpenApiTypes.STR, enum=["previous", "none"]),
            OpenApiParameter("detail", OpenApiTypes.STR, enum=["summary", "full"], description=(
                "Per group: summary (default) gives each metric's value (for durations the average), n, "
                "low_sample and for durations p50/p90, to 6 significant digits; full gives every field of "
                "the metric at full precision, as in the range totals.")),
            *[OpenApiParameter(d, OpenApiTypes.STR, description=f"Only this {d} (external id or name; comma-separated)")
              for d in DIMENSIONS],
        ],
        responses={200: OpenApiTypes.OBJECT},
        examples=[OpenApiExample("FRT and CSAT for March", value={
            "organization": "acme", "timezone": "Europe/Helsinki", "from": "2026-03-01", "to": "2026-03-31",
            "metrics": {"first_response_time": {"unit": "seconds", "value": 41.2, "avg": 41.2, "p50": 30.0,
                                                "p90": 95.0, "n": 1234, "previous": {"value": 47.0, "n": 1100},
                                                "change": -0.123}}}, response_only=True)],
    )
    def get(self, request):
        query = request.query_params
        data = {key: query.getlist(key) if key in DIMENSIONS + ("metrics",) else query.get(key) for key in query}
        params = self.InputSerializer(data=data)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        try:
            result = compute(
                organization=self.organization, metric_ids=p["metrics"], first=p["from"], last=p["to"],
                group_by=p.get("group_by"), filters={d: p[d] for d in DIMENSIONS},
                compare=p["compare"] == "previous",
            )
        except MetricsQueryError as exc:
            raise ValidationError({exc.field or "non_field_errors": [str(exc)]}) from exc
        if "groups" in result and p["detail"] == "summary":
            result["groups"] = summarize_groups(result["groups"])
        return Response(result)


# The catalogue changes only on deploy: rendered once per process and language.
CATALOGUE_MAX_AGE = 3600
_catalogue_cache: dict[str, tuple[bytes, str]] = {}


def rendered_catalogue(language: str) -> tuple[bytes, str]:
    """(JSON body, ETag) of the catalogue in ``language`` (the active one), rendered on first use."""
    cached = _catalogue_cache.get(language)
    if cached is None:
        body = json.dumps({"metrics": [definition.describe() for definition in REGISTRY.values()]},
                          ensure_ascii=False, separators=(",", ":")).encode()
        cached = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        _catalogue_cache[language] = cached
    return cached


class CatalogueView(OrgAPIView):
    """Every metric: id, label, help text with its formula, unit, direction and breakdowns.

    The same for every organization and request until the next deploy: served from a
    per-process, per-language rendering with an ETag (``If-None-Match`` gets a 304) and
    ``Cache-Control: private, max-age`` (behind the API key, so no shared caches)."""

    @extend_schema(operation_id="metrics_catalogue", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        body, etag = rendered_catalogue(get_language() or "")
        if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(body, content_type="application/json")
        response["ETag"] = etag
        response["Cache-Control"] = f"private, max-age={CATALOGUE_MAX_AGE}"
        patch_vary_headers(response, ("Accept-Language", "Authorization"))
        return response
