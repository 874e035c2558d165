"""Chats: the chats source (every chat component, by the local day and hour of requested_at)
and its first-contact-resolution-only reduction (for days a later chat's follow-up window reaches)."""

from __future__ import annotations

from dataclasses import replace

from chats.models import Tag
from reports import components as C
from reports.builders.source import Source, tag_ids
from reports.builders.sources.common import SourceSQL
from reports.business_hours import source_business_seconds
from reports.models import SlaMetric
from reports.sla import measured_sql, target_business_sql, target_case_sql


class ChatSources(SourceSQL):
    def chat_source(self) -> Source:
        d = self.d
        frt_target, frt_params = target_case_sql(
            self.targets[SlaMetric.CHAT_FIRST_RESPONSE], channel="c.channel", priority=None)
        wait_target, wait_params = target_case_sql(
            self.targets[SlaMetric.CHAT_WAIT], channel="c.channel", priority=None)
        # SLA targets in business hours (reports.sla): each row's business-hours value and
        # whether its winning target counts them; the within-target counts compare that value.
        frt_flag, frt_flag_params = target_business_sql(
            self.targets[SlaMetric.CHAT_FIRST_RESPONSE], channel="c.channel", priority=None)
        wait_flag, wait_flag_params = target_business_sql(
            self.targets[SlaMetric.CHAT_WAIT], channel="c.channel", priority=None)
        high = list(Tag.objects.for_org(self.org).filter(high_priority=True).values_list("pk", flat=True))
        # The organization's few high-priority and technical tags are parameters.
        high_tag, high = self._has_tag(high, "chats_chattag", "chat_id", "c.id")
        technical, technical_params = self._has_tag(self.technical_tags(), "chats_chattag", "chat_id", "c.id")
        if d.pg:  # the chat's tag ids, read once per chat with its tag rows (see _create_base)
            tag_n = f"COALESCE(cardinality({tag_ids(0)}), 0)"
        else:
            tag_n = "(SELECT COUNT(*) FROM chats_chattag x WHERE x.chat_id = c.id)"
        answered = "c.accepted_at IS NOT NULL"
        duration = f"CASE WHEN {answered} AND c.ended_at IS NOT NULL THEN {d.seconds('c.ended_at', 'c.accepted_at')} END"
        wrap = f"CASE WHEN c.ended_at IS NOT NULL AND c.closed_at IS NOT NULL THEN {d.seconds('c.closed_at', 'c.ended_at')} END"
        # Per-chat facts from other tables: correlated subqueries, each an index lookup per
        # chat (a nested loop the planner cannot turn into a scan of the whole table).
        repeat = (
            "c.customer_id IS NOT NULL AND EXISTS (SELECT 1 FROM chats_chat c2 "
            "WHERE c2.organization_id = c.organization_id AND c2.customer_id = c.customer_id "
            "AND c2.requested_at > c.requested_at AND "
            f"{d.within_seconds('c2.requested_at', 'c.requested_at', '%s')})"
        )
        columns = {
            "answered": f"CASE WHEN {answered} THEN 1 ELSE 0 END",
            "missed_reason": "c.missed_reason",
            "outcome": "c.outcome",
            "proactive": "CASE WHEN c.initiated_by = 'agent' THEN 1 ELSE 0 END",
            "transfers": "c.transfers",
            "msgs": f"CASE WHEN {answered} THEN c.messages_visitor + c.messages_agent END",
            "resp_total": f"CASE WHEN {answered} THEN c.response_time_total_s ELSE 0 END",
            "resp_count": f"CASE WHEN {answered} THEN c.response_count ELSE 0 END",
            "frt": f"CASE WHEN {answered} AND c.first_response_at IS NOT NULL THEN {d.seconds('c.first_response_at', 'c.requested_at')} END",
            "frt_target": frt_target,
            "wait": f"CASE WHEN {answered} THEN {d.seconds('c.accepted_at', 'c.requested_at')} END",
            "wait_target": wait_target,
            "dur": duration,
            "wrap": wrap,
            "chat_resp": f"CASE WHEN {answered} AND c.response_count > 0 THEN c.response_time_total_s / c.response_count END",
            "tag_n": tag_n,
            "high_tag": high_tag,
            "technical": technical,
            "social": "CASE WHEN c.channel = 'social' THEN 1 ELSE 0 END",
            "has_customer": "CASE WHEN c.customer_id IS NOT NULL THEN 1 ELSE 0 END",
            "canned": f"CASE WHEN {answered} AND {self._exists('chats_cannedresponseuse', 'chat_id = c.id')} THEN 1 ELSE 0 END",
            "repeat": f"CASE WHEN {answered} AND {repeat} THEN 1 ELSE 0 END",
            "converted": "CASE WHEN c.converted_at IS NOT NULL THEN 1 ELSE 0 END",
            "conv_value": "COALESCE(c.conversion_value, 0)",
            "conv_follow_up": f"CASE WHEN {d.true('c.conversion_after_follow_up')} THEN 1 ELSE 0 END",
            "conv_secs": (f"CASE WHEN {answered} AND c.converted_at >= c.requested_at THEN "
                          f"{d.seconds('c.converted_at', 'c.requested_at')} END"),
            "time_on_site": "c.time_on_site_before_chat_s",
            # Last, so their parameters come last.
            "frt_bh": (f"CASE WHEN {answered} AND c.first_response_at IS NOT NULL THEN "
                       f"{source_business_seconds(self, 'c.first_response_at', 'c.requested_at')} END"),
            "frt_bh_flag": frt_flag,
            "wait_bh": f"CASE WHEN {answered} THEN {source_business_seconds(self, 'c.accepted_at', 'c.requested_at')} END",
            "wait_bh_flag": wait_flag,
        }
        return Source(
            name="chats",
            from_sql="chats_chat c",
            timestamp="c.requested_at",
            dims={"agent": "c.agent_id", "team": "COALESCE(c.team_id, ag.team_id)", "channel": "c.channel"},
            joins="LEFT JOIN accounts_agent ag ON ag.id = c.agent_id",
            refs={"row_id": "c.id"},
            tags=[("chats_chattag", "chat_id", "row_id")],
            columns=columns,
            params=(frt_params + wait_params + high + technical_params + [self.org.follow_up_window_hours * 3600]
                    + frt_flag_params + wait_flag_params),
            counts={
                "chats_total": "1 = 1",
                "chats_answered": "answered = 1",
                "chats_missed": "answered = 0",
                "missed_visitor_left": "answered = 0 AND missed_reason = 'visitor_left'",
                "missed_timeout": "answered = 0 AND missed_reason = 'timeout'",
                "missed_no_agent_online": "answered = 0 AND missed_reason = 'no_agent_online'",
                "chats_proactive": "proactive = 1",
                "chats_transferred": "answered = 1 AND transfers > 0",
                "outcome_resolved": "answered = 1 AND outcome = 'resolved'",
                "outcome_escalated": "answered = 1 AND outcome = 'escalated'",
                "outcome_unresolved": "answered = 1 AND outcome = 'unresolved'",
                "chats_short": "msgs <= 5",
                "chats_medium": "msgs > 5 AND msgs <= 15",
                "chats_long": "msgs > 15",
                "chats_tagged": "tag_n > 0",
                "chats_high_priority_tag": "high_tag = 1",
                "social_contacts": "social = 1",
                "contacts_technical": "technical = 1",
                "contacts_with_customer": "has_customer = 1",
                "chats_with_canned": "canned = 1",
                "fcr_chats": "answered = 1 AND outcome NOT IN ('escalated', 'unresolved') AND repeat = 0",
                "fcr_repeat_contacts": "repeat = 1",
                "chats_converted": "converted = 1",
                "conversions": "answered = 1 AND converted = 1",
                "conversions_proactive": "answered = 1 AND converted = 1 AND proactive = 1",
                "chats_answered_proactive": "answered = 1 AND proactive = 1",
                "conversions_after_follow_up": "answered = 1 AND converted = 1 AND conv_follow_up = 1",
                "chats_with_time_on_site": "time_on_site IS NOT NULL",
                "frt_within_target": f"frt IS NOT NULL AND {measured_sql('frt', 'frt_bh', 'frt_bh_flag')} <= frt_target",
                "wait_within_target": f"wait IS NOT NULL AND {measured_sql('wait', 'wait_bh', 'wait_bh_flag')} <= wait_target",
            },
            sums={
                "messages_total": "COALESCE(msgs, 0)",
                "response_time_total": "resp_total",
                "response_count": "resp_count",
                "tag_assignments": "tag_n",
                "conversion_value": "conv_value",
                "conversions_value": "CASE WHEN answered = 1 AND converted = 1 THEN conv_value ELSE 0 END",
                "time_on_site_before_chat": "time_on_site",
            },
            durations={
                "first_response_time": "frt",
                "first_response_time_business": "frt_bh",
                "wait_time": "wait",
                "chat_duration": "dur",
                "wrap_up_time": "wrap",
                "handle_time": "CASE WHEN dur IS NOT NULL THEN dur + COALESCE(wrap, 0) END",
                "chat_response_time": "chat_resp",
                "conversion_time": "conv_secs",
            },
        )

    def fcr_source(self) -> Source:
        """The chats source reduced to first-contact resolution: all that a chat requested later
        can change on an earlier day (through the follow-up window)."""
        full = self.chat_source()
        return replace(
            full, name="chats_fcr", columns={k: full.columns[k] for k in ("answered", "outcome", "repeat")},
            params=[self.org.follow_up_window_hours * 3600],  # the repeat test's window
            counts={k: full.counts[k] for k in C.FCR_COMPONENTS}, sums={}, durations={},
        )
