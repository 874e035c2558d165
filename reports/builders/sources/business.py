"""Business inputs: website traffic (visitors per local day), customers (acquired, referred and
lost) and purchases; the organization's figures as a whole (org and hour grains)."""

from __future__ import annotations

from reports.builders.source import HOURS_TABLE, Source
from reports.builders.sources.common import SourceSQL


class BusinessSources(SourceSQL):
    def business_sources(self) -> list[Source]:
        d = self.d
        money = "CAST(p.amount AS double precision)" if d.pg else "CAST(p.amount AS REAL)"
        return [
            self.traffic_source(),
            Source(name="customers_acquired", from_sql="chats_customer cu", timestamp="cu.acquired_at",
                   columns={"referred": "CASE WHEN cu.referred_by_id IS NOT NULL THEN 1 ELSE 0 END"},
                   counts={"customers_acquired": "1 = 1", "customers_referred": "referred = 1"}),
            Source(name="customers_lost", from_sql="chats_customer cu", timestamp="cu.churned_at",
                   columns={"lifespan": d.seconds("cu.churned_at", "cu.acquired_at")},
                   counts={"customers_lost": "1 = 1"}, sums={"customer_lifespan_seconds": "lifespan"}),
            Source(name="purchases", from_sql="chats_purchase p", timestamp="p.purchased_at",
                   columns={"amount": money}, counts={"purchases": "1 = 1"}, sums={"purchase_amount": "amount"}),
        ]

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
