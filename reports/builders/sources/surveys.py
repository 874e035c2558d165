"""Survey answers (CSAT, NPS, CES), by the local day of answered_at, with their segment and
touchpoint dimensions."""

from __future__ import annotations

from reports.builders.source import Source
from reports.builders.sources.common import SourceSQL
from reports.components import CSAT_DISTRIBUTION, csat_score_components
from surveys.models import (
    CSAT_NEGATIVE_UPTO,
    CSAT_POSITIVE_FROM,
    NPS_DETRACTOR_UPTO,
    NPS_PROMOTER_FROM,
    SCALE_BOUNDS,
)


def csat_case(mapping: dict[str, int], op: str) -> str:
    """1 when the answer (alias s) scores ``op`` its scale's bound in ``mapping``, else 0."""
    whens = " ".join(f"WHEN '{scale}' THEN CASE WHEN s.score {op} {v} THEN 1 ELSE 0 END" for scale, v in mapping.items())
    return f"CASE s.scale {whens} ELSE 0 END"


class SurveySources(SourceSQL):
    def survey_source(self) -> Source:
        case = csat_case
        tops = {scale: high for scale, (_, high) in SCALE_BOUNDS.items() if scale in CSAT_POSITIVE_FROM}
        agent = "COALESCE(s.agent_id, ch.agent_id, tk.agent_id)"
        conversation = self._conversation_dims(agent, "s")
        # Segment: the answer's own, else its customer's (the answer's, else the conversation's).
        conversation["joins"] += " " + self.d.lookup("chats_customer", "cu", "COALESCE(s.customer_id, ch.customer_id, tk.customer_id)")
        conversation["dims"].update(segment="COALESCE(NULLIF(s.segment, ''), cu.segment, '')", touchpoint="s.touchpoint")
        return Source(
            name="surveys",
            from_sql="surveys_surveyanswer s",
            timestamp="s.answered_at",
            **conversation,
            columns={
                "kind": "s.kind",
                "scale": "s.scale",
                "score": "s.score",
                "positive": case(CSAT_POSITIVE_FROM, ">="),
                "negative": case(CSAT_NEGATIVE_UPTO, "<="),
                "top": case(tops, "="),
                "commented": "CASE WHEN s.comment <> '' THEN 1 ELSE 0 END",
                "replied": "CASE WHEN s.comment <> '' AND s.responded_at IS NOT NULL THEN 1 ELSE 0 END",
                "canned": f"CASE WHEN {self._exists('chats_cannedresponseuse', 'chat_id = s.chat_id')} THEN 1 ELSE 0 END",
                # A CES answer's partner for the correlation: the mean CSAT score (organization's
                # scale) of its conversation, an indexed lookup per CES answer.
                "pair_csat": (
                    "CASE WHEN s.kind = 'ces' AND s.scale = '1-7' THEN COALESCE("
                    + ", ".join(
                        f"(SELECT AVG(s2.score) FROM surveys_surveyanswer s2 WHERE s2.{column} = s.{column} "
                        f"AND s2.kind = 'csat' AND s2.scale = '{self.org.csat_scale}')"
                        for column in ("chat_id", "ticket_id"))
                    + ") END"
                ),
            },
            counts={
                "csat_n": "kind = 'csat'",
                "csat_positive": "kind = 'csat' AND positive = 1",
                "csat_top": "kind = 'csat' AND top = 1",
                "csat_negative": "kind = 'csat' AND negative = 1",
                "csat_score_n": f"kind = 'csat' AND scale = '{self.org.csat_scale}'",
                "csat_canned_n": "kind = 'csat' AND canned = 1",
                "csat_canned_positive": "kind = 'csat' AND canned = 1 AND positive = 1",
                "nps_n": "kind = 'nps'",
                "nps_promoters": f"kind = 'nps' AND score >= {NPS_PROMOTER_FROM}",
                "nps_detractors": f"kind = 'nps' AND score <= {NPS_DETRACTOR_UPTO}",
                "ces_n": "kind = 'ces' AND scale = '1-7'",
                "ces5_n": "kind = 'ces' AND scale = '1-5'",
                **{f"ces_score_{i}": f"kind = 'ces' AND scale = '1-7' AND score = {i}" for i in range(1, 8)},
                **{f"ces5_score_{i}": f"kind = 'ces' AND scale = '1-5' AND score = {i}" for i in range(1, 6)},
                "ces_csat_pairs": "pair_csat IS NOT NULL",
                **{name: f"kind = 'csat' AND scale = '{scale}' AND score = {i}"
                   for scale in CSAT_DISTRIBUTION for i, name in csat_score_components(scale).items()},
                "feedback_total": "commented = 1",
                "feedback_replied": "replied = 1",
            },
            sums={
                "csat_score_sum": f"CASE WHEN kind = 'csat' AND scale = '{self.org.csat_scale}' THEN score ELSE 0 END",
                "ces_sum": "CASE WHEN kind = 'ces' AND scale = '1-7' THEN score ELSE 0 END",
                "ces_sq_sum": "CASE WHEN kind = 'ces' AND scale = '1-7' THEN score * score ELSE 0 END",
                "ces5_sum": "CASE WHEN kind = 'ces' AND scale = '1-5' THEN score ELSE 0 END",
                "ces5_sq_sum": "CASE WHEN kind = 'ces' AND scale = '1-5' THEN score * score ELSE 0 END",
                "ces_csat_ces_sum": "CASE WHEN pair_csat IS NOT NULL THEN score ELSE 0 END",
                "ces_csat_csat_sum": "COALESCE(pair_csat, 0)",
                "ces_csat_ces_sq_sum": "CASE WHEN pair_csat IS NOT NULL THEN score * score ELSE 0 END",
                "ces_csat_csat_sq_sum": "COALESCE(pair_csat * pair_csat, 0)",
                "ces_csat_product_sum": "COALESCE(score * pair_csat, 0)",
            },
        )
