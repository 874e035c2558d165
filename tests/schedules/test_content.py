"""The e-mail's figures are the report pages' figures: the agent performance report and the
leaderboard rendered from their declarations through compute(), on the hand-worked week."""

import datetime as dt
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from reports.metrics import compute
from reports.snapshots import snapshots_rebuild
from schedules import content as contents
from schedules.models import DeliveryKind, DeliveryStatus, ReportDelivery, Scope
from schedules.periods import Period
from tests.reports.dataset import MONDAY
from tests.reports.pages.html import ReportHTML
from tests.schedules.conftest import WEEK_END

pytestmark = pytest.mark.django_db
WEEK = Period(MONDAY, WEEK_END)


def sent_to(address):
    return [m for m in mail.outbox if address in m.to]


def html_part(message) -> str:
    return next(body for body, mime in message.alternatives if mime == "text/html")


def test_the_scope_email_shows_the_numbers_compute_and_the_page_show(org, week, make_schedule, manager_client, manager, dispatch):
    make_schedule(members=[manager])
    dispatch()
    (message,) = sent_to(manager.email)

    totals = compute(organization=org, metric_ids=["chats_total", "chats_missed", "first_response_time", "csat"],
                     first=MONDAY, last=WEEK_END, compare=False)["metrics"]
    # By hand (tests/reports/dataset.py): 5 chats, 2 missed, FRT (30 + 50 + 70) / 3 = 50 s, CSAT 2 of 3 = 66.7 %.
    assert totals["chats_total"]["value"] == 5
    assert totals["chats_missed"]["value"] == 2
    assert totals["first_response_time"]["avg"] == 50
    assert round(totals["csat"]["value"], 1) == 66.7
    text = message.body
    assert "Chats opened: 5" in text
    assert "Missed chats: 2" in text
    assert "First response time (average): 50 s" in text
    assert "CSAT (share of positive ratings): 66.7%" in text

    # The agents' table: Aino 2 chats (FRT 40 s), Bo 2 chats (1 missed, FRT 70 s); median of the two.
    by_agent = compute(organization=org, metric_ids=["chats_total", "first_response_time"], first=MONDAY,
                       last=WEEK_END, group_by="agent", compare=False)["groups"]
    assert {g["label"]: g["metrics"]["chats_total"]["value"] for g in by_agent} == {"Aino": 2, "Bo": 2}
    assert "Aino\n  Chats: 2\n  Missed: 0\n  First response: 40 s" in text
    assert "Bo\n  Chats: 2\n  Missed: 1\n  First response: 1 min 10 s" in text
    assert "Median\n  Chats: 2\n  Missed: 0.5" in text or "Median of 2 agents\n  Chats: 2" in text

    # The report page of the same range shows the same figures.
    page = manager_client.get(reverse("report_agent", kwargs={"org_slug": org.slug, "agent_id": week["a1"].pk}),
                              {"preset": "custom", "from": MONDAY.isoformat(), "to": WEEK_END.isoformat()})
    parsed = ReportHTML(page.content.decode())
    assert parsed.cards["chats_total"]["value"].strip() == "2"
    board = manager_client.get(reverse("report_agents", kwargs={"org_slug": org.slug}),
                               {"preset": "custom", "from": MONDAY.isoformat(), "to": WEEK_END.isoformat()})
    rows = {r["key"]: r for r in ReportHTML(board.content.decode()).tables["leaderboard"]}
    assert [c["value"] for c in rows["a1"]["cells"] if c.get("value") is not None][0] == "2"
    assert "First response: 40 s" in text and "40 s" in board.content.decode()

    # HTML part: the same display strings, CSS inlined (no <style> rules left but @media).
    html = html_part(message)
    assert "Aino" in html and "1 min 10 s" in html and "66.7%" in html
    assert 'style="' in html and "<script" not in html.lower()
    # CSV attachment: machine-readable values with stable ids.
    (name, csv, mime), = message.attachments
    assert mime == "text/csv" and name == f"{org.slug}-agents-2026-03-02-2026-03-08.csv"
    lines = csv.decode("utf-8-sig").splitlines() if isinstance(csv, bytes) else csv.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Id [agent],Name [agent_name],Chats [chats_total],Missed [chats_missed]")
    assert lines[1].startswith("a1,Aino,2,0,40")
    assert lines[2].startswith("a2,Bo,2,1,70")


def test_a_personal_report_contains_only_that_agent(org, week, make_schedule, manager, dispatch):
    week["a1"].email = "aino@example.test"
    week["a1"].save()
    week["a2"].email = "bo@example.test"
    week["a2"].save()
    make_schedule(members=[manager], send_personal_reports=True)
    dispatch()
    (aino,) = sent_to("aino@example.test")
    (bo,) = sent_to("bo@example.test")
    for message, own, other in ((aino, "Aino", "Bo"), (bo, "Bo", "Aino")):
        for part in (message.body, html_part(message), message.attachments[0][1]):
            text = part.decode() if isinstance(part, bytes) else part
            assert own in text
            assert other not in text
    # Aino's own figures: 2 chats, FRT (30 + 50) / 2 = 40 s; her team (Tier 1) has only her.
    assert "Chats opened: 2" in aino.body
    assert "First response time (average): 40 s" in aino.body
    assert "Median of team Tier 1 (1 agent)" in aino.body
    assert ReportDelivery.objects.for_org(org).get(recipient="aino@example.test").kind == DeliveryKind.PERSONAL


def test_each_email_is_in_the_recipients_language(org, week, make_schedule, member_factory, dispatch):
    finnish = member_factory(org, role=Role.MANAGER)
    finnish.language = "fi"
    finnish.save()
    english = member_factory(org, role=Role.MANAGER)
    make_schedule(members=[finnish, english], language="en")
    dispatch()
    (fi,) = sent_to(finnish.email)
    (en,) = sent_to(english.email)
    # Locale formatting: 66,7 % in Finnish, 66.7% in English.
    assert "66,7\xa0%" in fi.body
    assert "66.7%" in en.body
    assert ReportDelivery.objects.for_org(org).get(recipient=finnish.email).language == "fi"


def test_the_headers_and_parts_of_a_scope_email(org, week, make_schedule, manager, dispatch):
    schedule = make_schedule(members=[manager])
    dispatch()
    (message,) = sent_to(manager.email)
    parsed = message_from_bytes(message.message().as_bytes(), policy=policy.default)
    unsubscribe = contents.unsubscribe_url(schedule=schedule, email=manager.email)
    assert parsed["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Subject"].startswith("Weekly agent report: ")
    delivery = ReportDelivery.objects.for_org(org).get(recipient=manager.email)
    assert delivery.status == DeliveryStatus.SENT and parsed["Message-ID"].strip() == delivery.message_id
    assert "/o/acme/reports/agents/?preset=custom&amp;from=2026-03-02&amp;to=2026-03-08" in html_part(message)


def test_a_team_schedule_lists_only_the_teams_agents(org, week, make_schedule, manager, dispatch):
    make_schedule(members=[manager], scope=Scope.TEAM, team=week["t2"])
    dispatch()
    (message,) = sent_to(manager.email)
    assert "Bo\n" in message.body and "Aino" not in message.body
    # Tier 2's totals (Bo: c3 answered, c4 missed): 2 chats, 1 missed.
    assert "Chats opened: 2" in message.body and "Missed chats: 1" in message.body


def test_notable_changes_are_called_out_in_words(org, week, make_schedule, manager, dispatch):
    # The week before the hand-worked one: three answered chats, each FRT 40 s (avg 40 s), none missed.
    from tests.reports.dataset import answered_chat, local

    previous_monday = MONDAY - dt.timedelta(days=7)
    for agent, day, hour in ((week["a1"], previous_monday, 10), (week["a2"], previous_monday, 14),
                             (week["a1"], previous_monday + dt.timedelta(days=1), 10)):
        answered_chat(org, agent, local(day, hour), wait=20, frt=40, duration=600, wrap=60, outcome="resolved")
    org.min_sample_size = 1
    org.save()
    snapshots_rebuild(organization=org, first=previous_monday, last=WEEK_END)
    make_schedule(members=[manager])
    dispatch()
    (message,) = sent_to(manager.email)
    notes = message.body.split("Notable changes\n", 1)[1].split("\n\n", 1)[0].splitlines()
    # By hand, the changes of at least 20%, largest first: pickup (wait) 20 s each -> (20 + 40 + 60) / 3 = 40 s;
    # FCR 3 of 3 -> 1 of 3 (c1 has a repeat contact, c2 was escalated); chats 3 -> 5; FRT 40 s -> 50 s.
    # Unchanged figures (chat time 10 min, handling time 11 min) and figures with nothing to compare
    # (missed 0 -> 2) are not called out.
    assert notes == [
        "- Chat pickup time (average) up 100.0% on last week (20 sec → 40 sec)",
        "- First contact resolution down 66.7% on last week (100.0% → 33.3%)",
        "- Chats opened up 66.7% on last week (3 → 5)",
        "- First response time (average) up 25.0% on last week (40 sec → 50 sec)",
    ]
    assert "First response time (average) up 25.0% on last week" in html_part(message)
