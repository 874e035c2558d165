"""What several sources' SQL shares: an indexed existence test, the dimensions of a row tied to a
chat or a ticket, and an interval's overlap with a calendar hour."""

from __future__ import annotations

from chats.models import Tag
from reports.builders.source import tag_ids

TECHNICAL_CATEGORY = "technical"


class SourceSQL:
    """Helpers of the per-source mixins; the Builder provides ``self.d`` (the Dialect)."""

    @staticmethod
    def _exists(table: str, condition: str) -> str:
        """Whether `table` has a row meeting `condition`: an indexed lookup per base row. (A
        scalar subquery, not EXISTS, which PostgreSQL may run as one hashed scan of the whole
        table: cheap for a year, not for the few rows of a late day.)"""
        return f"(SELECT id FROM {table} WHERE {condition} LIMIT 1) IS NOT NULL"


    def _has_tag(self, ids: list, link_table: str, link_column: str, row: str) -> tuple[str, list]:
        """(SQL, params): 1 when the base row (a chat or ticket ``row`` id, with its first tag
        link table's ids read on PostgreSQL, see Builder._create_base) has one of the tags
        ``ids`` (a few, as parameters), else 0."""
        if not ids:
            return "0", []
        marks = ", ".join(["%s"] * len(ids))
        if self.d.pg:
            test = f"{tag_ids(0)} && ARRAY[{marks}]::bigint[]"
        else:
            test = self._exists(link_table, f"{link_column} = {row} AND tag_id IN ({marks})")
        return f"CASE WHEN {test} THEN 1 ELSE 0 END", list(ids)

    def technical_tags(self) -> list[int]:
        """The organization's tags of category "technical" (any case): social_insights' share
        technical."""
        return list(Tag.objects.for_org(self.org).filter(category__iexact=TECHNICAL_CATEGORY).values_list("pk", flat=True))

    def _conversation_dims(self, agent: str, main: str) -> dict:
        """Dimensions of a row tied to a chat (alias ch) or a ticket (alias tk)."""
        d = self.d
        return {
            "dims": {"agent": agent, "team": "COALESCE(ch.team_id, tk.team_id, ag.team_id)",
                     "channel": "COALESCE(ch.channel, tk.channel)"},
            "joins": (f"{d.lookup('chats_chat', 'ch', f'{main}.chat_id')} {d.lookup('chats_ticket', 'tk', f'{main}.ticket_id')} "
                      f"LEFT JOIN accounts_agent ag ON ag.id = {agent}"),
            "refs": {"chat_ref": f"{main}.chat_id", "ticket_ref": f"{main}.ticket_id"},
            # A row has a chat or a ticket, never both: the tags of the one it has.
            "tags": [("chats_chattag", "chat_id", "chat_ref"), ("chats_tickettag", "ticket_id", "ticket_ref")],
        }

    def _overlap(self, start: str, end: str) -> str:
        d = self.d
        return d.seconds(d.least(end, "cal.end_at"), d.greatest(start, "cal.start_at"))
