"""Where a figure drills down to: the list of conversations behind it.

``drilldown_url(organization=..., metric_id=..., query=...)`` returns the URL of the chats or
tickets list that counts exactly the figure ``metric_id`` shows for the report query ``query``
(the same parameters as ``GET /api/v1/metrics/``: from, to, agent, team, channel, tag, ...),
or None when the figure has no list behind it. The report pages call it for every count and time
figure; the drill-down helper fills in the mapping.
"""

from __future__ import annotations

from collections.abc import Mapping


def drilldown_url(*, organization, metric_id: str, query: Mapping[str, object], figure: str = "value") -> str | None:
    return None
