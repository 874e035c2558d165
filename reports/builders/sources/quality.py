"""Quality reviews (IQS), by the local day of reviewed_at: one row per review, and one per
review and criterion it scored (the weighted sums, and the criterion grain)."""

from __future__ import annotations

from chats.models import QualityScorecard
from reports.builders.source import Source
from reports.builders.sources.common import SourceSQL


class QualitySources(SourceSQL):
    def quality_sources(self) -> list[Source]:
        # Each scorecard's criteria (key, weight, max score), from Python once per build (an
        # organization has a few scorecards of a few criteria) and joined as a small table: a
        # review is weighed by the scorecard it was given against, even after a newer one.
        criteria = [
            (card.pk, str(c["key"]), float(c.get("weight", 1)), float(c["max_score"]))
            for card in QualityScorecard.objects.for_org(self.org).only("id", "criteria")
            for c in card.criteria
        ]
        if not criteria:
            return []
        cast = "(%s::bigint, %s::text, %s::float8, %s::float8)" if self.d.pg else "(%s, %s, %s, %s)"
        if self.d.pg:
            score = "CAST(r.scores ->> k.ckey AS double precision)"
        else:
            score = "CAST(json_extract(r.scores, '$.\"' || k.ckey || '\"') AS REAL)"
        dims = self._conversation_dims("r.agent_id", "r")
        scored = self._conversation_dims("r.agent_id", "r")
        scored["dims"]["criterion"] = "k.ckey"
        return [
            Source(name="reviews", from_sql="chats_qualityreview r", timestamp="r.reviewed_at", **dims,
                   counts={"iqs_reviews": "1 = 1"}),
            # A criterion the review left out (not scored) counts in neither sum.
            Source(
                name="review_scores",
                from_sql="chats_qualityreview r JOIN crit k ON k.scorecard_id = r.scorecard_id",
                timestamp="r.reviewed_at",
                **scored,
                columns={"score": score, "weight": "k.weight", "max_score": "k.max_score"},
                where=f"{score} IS NOT NULL",
                counts={"iqs_scores": "1 = 1"},
                sums={"iqs_weighted_score": "weight * score", "iqs_weighted_max": "weight * max_score"},
                ctes=f"crit(scorecard_id, ckey, weight, max_score) AS (VALUES {', '.join([cast] * len(criteria))})",
                cte_params=[v for row in criteria for v in row],
            ),
        ]
