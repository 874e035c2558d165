"""Business inputs: website traffic (visitors per local day)."""

from __future__ import annotations

from reports.builders.source import HOURS_TABLE, Source
from reports.builders.sources.common import SourceSQL


class BusinessSources(SourceSQL):
    def business_sources(self) -> list[Source]:
        return [self.traffic_source()]

    def traffic_source(self) -> Source:
        """Website traffic rows are already per local day (``date``): each is placed at the
        first instant of its day in the chunk's calendar (so its day is that date, and its hour
        the day's first), and only the org and hour grains get it."""
        return Source(
            name="traffic",
            from_sql=(f"chats_websitetraffic w JOIN (SELECT day, MIN(start_at) AS start_at FROM {HOURS_TABLE} "
                      "GROUP BY day) wd ON wd.day = w.date"),
            timestamp="wd.start_at",
            sums={"website_visitors": "visitors"},
            columns={"visitors": "w.visitors"},
        )
