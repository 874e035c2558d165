"""Tickets: volume and first response by the local day of created_at, resolution by that of
resolved_at (two sources over the same table)."""

from __future__ import annotations

from reports.builders.source import Source
from reports.builders.sources.common import SourceSQL
from reports.business_hours import source_business_seconds
from reports.components import PRIORITIES
from reports.models import SlaMetric
from reports.sla import measured_sql, target_business_sql, target_case_sql


class TicketSources(SourceSQL):
    @staticmethod
    def _ticket_dims() -> dict:
        return {
            "dims": {"agent": "t.agent_id", "team": "COALESCE(t.team_id, ag.team_id)", "channel": "t.channel"},
            "joins": "LEFT JOIN accounts_agent ag ON ag.id = t.agent_id",
            "refs": {"row_id": "t.id"},
            "tags": [("chats_tickettag", "ticket_id", "row_id")],
        }

    def ticket_created_source(self) -> Source:
        target, params = target_case_sql(
            self.targets[SlaMetric.TICKET_FIRST_RESPONSE], channel="t.channel", priority="t.priority")
        flag, flag_params = target_business_sql(
            self.targets[SlaMetric.TICKET_FIRST_RESPONSE], channel="t.channel", priority="t.priority")
        business = source_business_seconds(self, "t.first_response_at", "t.created_at")
        technical, technical_params = self._has_tag(self.technical_tags(), "chats_tickettag", "ticket_id", "t.id")
        return Source(
            name="tickets_created",
            from_sql="chats_ticket t",
            timestamp="t.created_at",
            **self._ticket_dims(),
            columns={
                "priority": "t.priority",
                "frt": f"CASE WHEN t.first_response_at IS NOT NULL THEN {self.d.seconds('t.first_response_at', 't.created_at')} END",
                "frt_target": target,
                "frt_bh": f"CASE WHEN t.first_response_at IS NOT NULL THEN {business} END",
                "frt_bh_flag": flag,
                # Last, so their parameters come last.
                "sentiment": "t.sentiment",
                "social": "CASE WHEN t.channel = 'social' THEN 1 ELSE 0 END",
                "has_customer": "CASE WHEN t.customer_id IS NOT NULL THEN 1 ELSE 0 END",
                "technical": technical,
            },
            params=params + flag_params + technical_params,
            counts={
                "tickets_created": "1 = 1",
                "social_contacts": "social = 1",
                "contacts_technical": "technical = 1",
                "contacts_with_customer": "has_customer = 1",
                "tickets_sentiment_positive": "sentiment = 'positive'",
                "tickets_sentiment_negative": "sentiment = 'negative'",
                "tickets_with_sentiment": "sentiment IN ('positive', 'neutral', 'negative')",
                **{f"tickets_{p}": f"priority = '{p}'" for p in PRIORITIES},
                "ticket_frt_within_target": f"frt IS NOT NULL AND {measured_sql('frt', 'frt_bh', 'frt_bh_flag')} <= frt_target",
                **{f"ticket_first_response_time_{p}_n": f"frt IS NOT NULL AND priority = '{p}'" for p in PRIORITIES},
            },
            sums={f"ticket_first_response_time_{p}_sum": f"CASE WHEN priority = '{p}' THEN frt END" for p in PRIORITIES},
            durations={"ticket_first_response_time": "frt", "ticket_first_response_time_business": "frt_bh"},
        )

    def ticket_resolved_source(self) -> Source:
        d = self.d
        target, params = target_case_sql(
            self.targets[SlaMetric.TICKET_RESOLUTION], channel="t.channel", priority="t.priority")
        flag, flag_params = target_business_sql(
            self.targets[SlaMetric.TICKET_RESOLUTION], channel="t.channel", priority="t.priority")
        complaint_start = f"CASE WHEN {d.true('t.is_complaint')} THEN t.created_at ELSE t.escalated_at END"
        return Source(
            name="tickets_resolved",
            from_sql="chats_ticket t",
            timestamp="t.resolved_at",
            **self._ticket_dims(),
            columns={
                "priority": "t.priority",
                "phone": "CASE WHEN t.channel = 'phone' THEN 1 ELSE 0 END",
                "res": d.seconds("t.resolved_at", "t.created_at"),
                "res_target": target,
                "reopened": "t.reopened_count",
                "replies": "t.agent_replies",
                "complaint": (
                    f"CASE WHEN {d.true('t.is_complaint')} OR t.escalated_at IS NOT NULL "
                    f"THEN {d.seconds('t.resolved_at', complaint_start)} END"
                ),
                "res_bh": source_business_seconds(self, "t.resolved_at", "t.created_at"),
                "res_bh_flag": flag,
            },
            params=params + flag_params,
            counts={
                "tickets_resolved": "1 = 1",
                "tickets_reopened": "reopened > 0",
                "tickets_one_touch": "reopened = 0 AND replies <= 1",
                "resolution_within_target": f"{measured_sql('res', 'res_bh', 'res_bh_flag')} <= res_target",
                "calls_resolved": "phone = 1",
                **{f"resolution_time_{p}_n": f"priority = '{p}'" for p in PRIORITIES},
            },
            sums={f"resolution_time_{p}_sum": f"CASE WHEN priority = '{p}' THEN res END" for p in PRIORITIES},
            durations={"resolution_time": "res", "resolution_time_business": "res_bh",
                       "complaint_resolution_time": "complaint"},
        )
