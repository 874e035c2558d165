"""Canned-response uses and the seconds they saved, by the local day of used_at."""

from __future__ import annotations

from chats.models import CannedResponse
from reports.builders.source import Source
from reports.builders.sources.common import SourceSQL


class CannedSources(SourceSQL):
    def canned_sources(self) -> list[Source]:
        # Seconds saved per use: the response's own figure, else its typing time. Computed in
        # Python once per response (few rows) and joined as a small table.
        saved = [
            (r.pk, r.effective_seconds_saved)
            for r in CannedResponse.objects.for_org(self.org).only("id", "text", "seconds_saved")
        ]
        if not saved:
            return []
        cast = "(%s::bigint, %s::float8)" if self.d.pg else "(%s, %s)"
        return [Source(
            name="canned",
            from_sql="chats_cannedresponseuse u JOIN saved sv ON sv.id = u.canned_response_id",
            timestamp="u.used_at",
            **self._conversation_dims("u.agent_id", "u"),
            columns={"secs": "sv.secs"},
            counts={"canned_uses": "1 = 1"},
            sums={"canned_seconds_saved": "secs"},
            ctes=f"saved(id, secs) AS (VALUES {', '.join([cast] * len(saved))})",
            cte_params=[v for row in saved for v in row],
        )]
