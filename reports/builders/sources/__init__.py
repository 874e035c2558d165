"""Per-source SQL: one module per kind of raw row, each a mixin of the Builder whose methods
return its Source (reports.builders.source) or create the temporary tables it reads."""

from reports.builders.sources.business import BusinessSources
from reports.builders.sources.canned import CannedSources
from reports.builders.sources.chats import ChatSources
from reports.builders.sources.quality import QualitySources
from reports.builders.sources.sessions import SessionSources
from reports.builders.sources.surveys import SurveySources
from reports.builders.sources.tickets import TicketSources

__all__ = ["BusinessSources", "CannedSources", "ChatSources", "QualitySources", "SessionSources", "SurveySources", "TicketSources"]
