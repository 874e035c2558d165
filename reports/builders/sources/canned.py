"""Canned-response uses and the seconds they saved, by the local day of used_at; per canned
response also the answered chats using it (by requested_at) and their CSAT answers (by
answered_at)."""

from __future__ import annotations

from chats.models import CannedResponse
from reports.builders.source import Source
from reports.builders.sources.common import SourceSQL
from reports.builders.sources.surveys import csat_case
from surveys.models import CSAT_POSITIVE_FROM

# A use that is the first of its response in its chat (the lowest id): counting these counts
# each (chat, response) pair once, however often the agent sent the response in that chat.
FIRST_USE_IN_CHAT = ("(SELECT u2.id FROM chats_cannedresponseuse u2 WHERE u2.chat_id = u.chat_id "
                     "AND u2.canned_response_id = u.canned_response_id AND u2.id < u.id LIMIT 1) IS NULL")


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
        uses = self._conversation_dims("u.agent_id", "u")
        uses["dims"]["canned_response"] = "u.canned_response_id"
        # The per-response figures of chats_with_canned and csat_canned_*: one row per (chat,
        # response) pair, so these sources add to the canned_response grain only (the org's
        # totals count a chat once, in the chats and surveys sources).
        per_response = {"dims": {"canned_response": "u.canned_response_id"}, "only": ("canned_response",),
                        "where": f"u.chat_id IS NOT NULL AND {FIRST_USE_IN_CHAT}"}
        return [
            Source(
                name="canned",
                from_sql="chats_cannedresponseuse u JOIN saved sv ON sv.id = u.canned_response_id",
                timestamp="u.used_at",
                **uses,
                columns={"secs": "sv.secs"},
                counts={"canned_uses": "1 = 1"},
                sums={"canned_seconds_saved": "secs"},
                ctes=f"saved(id, secs) AS (VALUES {', '.join([cast] * len(saved))})",
                cte_params=[v for row in saved for v in row],
            ),
            Source(
                name="canned_chats",
                # Driven from the chunk's chats (the organization's requested_at index), each
                # joined to its uses: from the uses side every chunk read all the organization's
                # uses and every chat of every organization (1M chats: 166 s of a 375 s rebuild).
                from_sql=("chats_chat c JOIN chats_cannedresponseuse u ON u.chat_id = c.id "
                          "AND u.organization_id = c.organization_id"),
                timestamp="c.requested_at",
                columns={"answered": "CASE WHEN c.accepted_at IS NOT NULL THEN 1 ELSE 0 END"},
                counts={"chats_with_canned": "answered = 1"},
                **per_response,
            ),
            Source(
                name="canned_csat",
                from_sql=("surveys_surveyanswer s JOIN chats_cannedresponseuse u ON u.chat_id = s.chat_id "
                          "AND u.organization_id = s.organization_id"),
                timestamp="s.answered_at",
                columns={"kind": "s.kind", "positive": csat_case(CSAT_POSITIVE_FROM, ">=")},
                counts={"csat_canned_n": "kind = 'csat'", "csat_canned_positive": "kind = 'csat' AND positive = 1"},
                **per_response,
            ),
        ]
