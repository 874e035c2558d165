"""Static shape of the demo organizations: names, teams, tags, canned responses, patterns.

Everything random is drawn by the generator from a seeded ``random.Random``; this module only
holds the fixed vocabulary and the arrival profiles it draws from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TagSpec:
    name: str
    category: str
    color: str
    weight: float
    high_priority: bool = False


@dataclass(frozen=True)
class CannedSpec:
    title: str
    text: str
    seconds_saved: float | None = None  # None: derived from the text length (40 wpm)


@dataclass(frozen=True)
class OrgProfile:
    """What one demo organization looks like; the chat volume and the dates come from the caller."""

    slug: str
    name: str
    timezone: str
    share: float  # share of the requested chats
    teams: tuple[tuple[str, float], ...]  # (team name, share of the agents)
    agents: int
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    tags: tuple[TagSpec, ...]
    canned: tuple[CannedSpec, ...]
    segments: tuple[tuple[str, float, float, float], ...]  # (name, share, purchases/year, median amount)
    pages: tuple[str, ...]
    subjects: tuple[str, ...]
    reviewers: tuple[str, ...]
    # Local shifts as half-hour slots [start, end); weekend shifts are staffed by a small rota.
    weekday_shifts: tuple[tuple[int, int], ...] = ((14, 31), (25, 42))
    weekend_shift: tuple[int, int] = (18, 34)
    weekend_staff: int = 3


SCORECARD_CRITERIA = [
    {"key": "greeting", "label": "Greeting and tone", "weight": 1, "max_score": 5},
    {"key": "understanding", "label": "Understood the problem", "weight": 2, "max_score": 5},
    {"key": "accuracy", "label": "Correct and complete answer", "weight": 3, "max_score": 5},
    {"key": "efficiency", "label": "Efficient handling", "weight": 2, "max_score": 5},
    {"key": "closing", "label": "Closing and next steps", "weight": 1, "max_score": 5},
]

# Relative chat arrivals per local hour (0-23). Busy weekday mornings and afternoons with a
# lunch dip; weekends flatter and lower; nights quiet.
WEEKDAY_HOURS = (0.6, 0.4, 0.3, 0.25, 0.3, 0.5, 1.2, 3.0, 6.5, 9.0, 10.0, 9.5,
                 8.0, 8.5, 9.5, 9.0, 7.5, 6.0, 4.5, 3.5, 2.8, 2.0, 1.4, 0.9)
WEEKEND_HOURS = (0.8, 0.5, 0.4, 0.3, 0.3, 0.4, 0.7, 1.2, 2.2, 3.5, 4.5, 5.0,
                 5.0, 4.8, 4.6, 4.3, 4.0, 3.6, 3.2, 2.8, 2.3, 1.8, 1.3, 1.0)
# Tickets (mostly e-mail and web forms) arrive more evenly through the day.
TICKET_HOURS = tuple(0.6 * w + 2.0 for w in WEEKDAY_HOURS)
# Relative daily volume Monday..Sunday.
WEEKDAY_FACTORS = (1.15, 1.10, 1.05, 1.00, 0.90, 0.45, 0.40)
GROWTH_OVER_YEAR = 0.25  # the last day is 25% busier than the first

TICKET_CHANNELS = (("email", 50), ("web", 20), ("phone", 12), ("social", 10), ("chat", 8))
TICKET_PRIORITIES = (("low", 20), ("normal", 55), ("high", 18), ("urgent", 7))
# Median hours to first response and to resolution, by priority.
TICKET_FIRST_RESPONSE_HOURS = {"low": 8.0, "normal": 4.0, "high": 1.5, "urgent": 0.5}
TICKET_RESOLUTION_HOURS = {"low": 60.0, "normal": 30.0, "high": 18.0, "urgent": 6.0}

POSITIVE_COMMENTS = (
    "Quick and friendly, thank you!",
    "Solved my problem in minutes.",
    "Very helpful agent.",
    "Great service as always.",
    "Clear instructions, everything works now.",
)
NEUTRAL_COMMENTS = (
    "It was fine.",
    "Took a while but we got there.",
    "OK, but I had to explain twice.",
)
NEGATIVE_COMMENTS = (
    "I waited far too long.",
    "The problem is still not fixed.",
    "I was transferred around and had to repeat myself.",
    "Not helpful at all.",
    "Nobody answered my question.",
)

_FINNISH_FIRST = ("Aino", "Eetu", "Emilia", "Juho", "Helmi", "Lauri", "Sofia", "Mikko", "Venla",
                  "Onni", "Ella", "Ville", "Iida", "Teemu", "Noora", "Antti", "Sanna", "Jari")
_FINNISH_LAST = ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine", "Heikkinen",
                 "Koskinen", "Järvinen", "Lehtonen", "Salminen", "Lindqvist", "Tuominen", "Rantanen")
_US_FIRST = ("Olivia", "Liam", "Emma", "Noah", "Ava", "James", "Sophia", "Lucas", "Mia", "Ethan",
             "Harper", "Mason", "Amelia", "Logan", "Grace", "Daniel")
_US_LAST = ("Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Rodriguez",
            "Martinez", "Lopez", "Wilson", "Anderson", "Taylor", "Moore")

ACME = OrgProfile(
    slug="acme",
    name="Acme Support",
    timezone="Europe/Helsinki",
    share=0.7,
    teams=(("Tier 1", 0.48), ("Tier 2", 0.24), ("Billing", 0.16), ("Sales", 0.12)),
    agents=25,
    first_names=_FINNISH_FIRST,
    last_names=_FINNISH_LAST,
    tags=(
        TagSpec("billing", "Billing", "#1f77b4", 10),
        TagSpec("refund", "Billing", "#aec7e8", 5),
        TagSpec("shipping", "Orders", "#ff7f0e", 12),
        TagSpec("order-status", "Orders", "#ffbb78", 14),
        TagSpec("returns", "Orders", "#2ca02c", 6),
        TagSpec("bug", "Technical", "#d62728", 4, high_priority=True),
        TagSpec("login-issue", "Technical", "#ff9896", 5, high_priority=True),
        TagSpec("account", "Account", "#9467bd", 7),
        TagSpec("feature-request", "Product", "#c5b0d5", 3),
        TagSpec("complaint", "Feedback", "#8c564b", 2, high_priority=True),
        TagSpec("pricing", "Sales", "#e377c2", 6),
        TagSpec("positive-feedback", "Feedback", "#7f7f7f", 3),
        TagSpec("technical", "Technical", "#bcbd22", 6),
    ),
    canned=(
        CannedSpec("Greeting", "Hi! Thanks for contacting Acme Support. How can I help you today?"),
        CannedSpec("Order number", "Could you please share your order number so I can look it up?"),
        CannedSpec("Shipping times", "Orders ship within one business day and usually arrive in "
                   "two to four business days within Finland.", 20),
        CannedSpec("Return policy", "You can return any item within 30 days. Start the return from "
                   "your account page and print the prepaid label."),
        CannedSpec("Refund processed", "Your refund has been processed; it appears on your statement "
                   "within five business days."),
        CannedSpec("Password reset", "Use the 'Forgot password' link on the sign-in page; the reset "
                   "link is valid for one hour.", 15),
        CannedSpec("Escalate to Tier 2", "I'm passing this to our specialist team; they will reply "
                   "by e-mail within one business day."),
        CannedSpec("Invoice copy", "You can download every invoice from Account > Billing > Invoices."),
        CannedSpec("Anything else", "Is there anything else I can help you with?", 4),
        CannedSpec("Closing", "Thanks for chatting with us, have a great day!"),
        CannedSpec("Known issue", "This is a known issue and our engineers are working on a fix. "
                   "We'll e-mail you as soon as it is resolved.", 25),
        CannedSpec("Discount code", "Here is a 10% discount code for your next order: THANKYOU10."),
    ),
    segments=(("Consumer", 0.6, 3.0, 45.0), ("SMB", 0.3, 5.0, 180.0), ("Enterprise", 0.1, 8.0, 900.0)),
    pages=("https://shop.acme.test/", "https://shop.acme.test/checkout", "https://shop.acme.test/orders",
           "https://shop.acme.test/returns", "https://shop.acme.test/pricing",
           "https://shop.acme.test/help/shipping", "https://shop.acme.test/account"),
    subjects=("Where is my order?", "Refund not received", "Wrong item delivered",
              "Cannot log in", "Invoice request", "Change delivery address", "Damaged package",
              "Question about pricing", "Cancel my subscription", "Website error at checkout"),
    reviewers=("Aino Virtanen (QA)", "Support Lead"),
)

GLOBEX = OrgProfile(
    slug="globex",
    name="Globex Help",
    timezone="America/New_York",
    share=0.3,
    teams=(("Frontline", 0.6), ("Escalations", 0.2), ("Sales", 0.2)),
    agents=15,
    first_names=_US_FIRST,
    last_names=_US_LAST,
    tags=(
        TagSpec("onboarding", "Product", "#1f77b4", 8),
        TagSpec("integration", "Technical", "#ff7f0e", 7),
        TagSpec("api", "Technical", "#ffbb78", 5),
        TagSpec("outage", "Technical", "#d62728", 2, high_priority=True),
        TagSpec("security", "Technical", "#ff9896", 2, high_priority=True),
        TagSpec("billing", "Billing", "#2ca02c", 9),
        TagSpec("upgrade", "Sales", "#98df8a", 6),
        TagSpec("cancellation", "Billing", "#9467bd", 3, high_priority=True),
        TagSpec("how-to", "Product", "#c5b0d5", 12),
        TagSpec("feature-request", "Product", "#8c564b", 4),
        TagSpec("data-export", "Technical", "#e377c2", 3),
    ),
    canned=(
        CannedSpec("Welcome", "Hello and welcome to Globex Help! What can I do for you?"),
        CannedSpec("Docs link", "You'll find a step-by-step guide in our docs at docs.globex.test.", 10),
        CannedSpec("API limits", "The API allows 600 requests per minute per key; higher limits are "
                   "available on the Enterprise plan."),
        CannedSpec("Status page", "You can follow the incident at status.globex.test; we post updates "
                   "every 30 minutes.", 12),
        CannedSpec("Upgrade plan", "You can upgrade any time from Settings > Plan; the price difference "
                   "is prorated."),
        CannedSpec("Export data", "Go to Settings > Data > Export to download all your records as CSV."),
        CannedSpec("Security report", "Thank you for the report. Our security team will review it and "
                   "contact you within 24 hours."),
        CannedSpec("Cancellation", "I'm sorry to see you go. Your account stays active until the end "
                   "of the billing period."),
        CannedSpec("Follow-up", "I'll follow up by e-mail as soon as I hear back from the team.", 8),
        CannedSpec("Closing", "Thanks for reaching out to Globex! Have a great day."),
        CannedSpec("SSO setup", "To set up SSO, add our SAML metadata URL to your identity provider "
                   "and send us your entity ID.", 30),
    ),
    segments=(("Startup", 0.45, 4.0, 120.0), ("Mid-market", 0.4, 6.0, 450.0), ("Enterprise", 0.15, 10.0, 2500.0)),
    pages=("https://globex.test/", "https://globex.test/pricing", "https://app.globex.test/dashboard",
           "https://app.globex.test/settings", "https://docs.globex.test/api",
           "https://globex.test/enterprise"),
    subjects=("API returns 500", "SSO configuration", "Invoice question", "Upgrade to Enterprise",
              "Data export stuck", "Integration with Salesforce", "Account locked",
              "Feature request: dark mode", "Cancel subscription", "Webhook not firing"),
    reviewers=("QA Team", "Jordan Lee (Support Manager)"),
    weekday_shifts=((16, 34), (26, 44)),
    weekend_staff=2,
)

DEMO_PROFILES = (ACME, GLOBEX)
