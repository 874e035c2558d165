"""Drill-down pages on the hand-worked week (tests/reports/dataset.py): what a list says and shows,
its pages, its CSV and XLSX (the same values as the page), bad questions, and the timelines of a
chat and a ticket (every instant in Europe/Helsinki, SLA outcomes against the applicable target).
"""

import csv
import datetime as dt
import io
import re
from html import unescape

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from chats.models import Chat, Ticket
from reports.drilldown.links import drilldown_url
from reports.snapshots import snapshots_rebuild
from tests.factories import ChatFactory
from tests.reports.dataset import HEL, MONDAY, build_week, local

pytestmark = pytest.mark.django_db
WEDNESDAY = MONDAY + dt.timedelta(days=2)
RANGE = {"from": MONDAY.isoformat(), "to": WEDNESDAY.isoformat()}


@pytest.fixture
def week(org):
    objects = build_week(org)
    snapshots_rebuild(organization=org, first=MONDAY - dt.timedelta(days=7), last=MONDAY + dt.timedelta(days=7))
    return objects


def url_for(org, metric, figure="value", **query):
    return drilldown_url(organization=org, metric_id=metric, query={**RANGE, **query}, figure=figure)


def plain(value: str) -> str:
    """CLDR's thin and narrow no-break spaces (\u2009 in "2 – 4", \u202f before "AM") as spaces."""
    return value.replace("\u2009", " ").replace("\u202f", " ").replace("\xa0", " ")


def text(response) -> str:
    return plain(re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))))


def table_rows(response) -> list[list[str]]:
    body = response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[plain(re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", cell)))).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_heading_says_what_the_list_is(org, week, manager_client):
    cases = [
        (url_for(org, "chats_missed", team="Tier 2"), "Missed chats of team Tier 2, Mar 2 – 4, 2026"),
        (url_for(org, "chats_missed", "by_reason.visitor_left"), "Missed chats: Visitor left the queue, Mar 2 – 4, 2026"),
        (url_for(org, "first_response_time", "above_target", agent="a2"),
         "Answered chats with a first response above the SLA target of agent Bo, Mar 2 – 4, 2026"),
        (url_for(org, "chats_total", tag="vip"), "Chats tagged vip, Mar 2 – 4, 2026"),
        (url_for(org, "tickets_total", "backlog"), "Open tickets (backlog) at the end of Mar 4, 2026"),
        (url_for(org, "csat", "negative", channel="chat"), "Negative CSAT answers on channel Chat, Mar 2 – 4, 2026"),
    ]
    for url, heading in cases:
        response = manager_client.get(url)
        assert response.status_code == 200
        assert plain(response.context["heading"]) == heading
        assert f"<h1>{heading}</h1>" in plain(unescape(response.content.decode()))


def test_a_list_shows_the_columns_a_manager_needs(org, week, manager_client):
    response = manager_client.get(url_for(org, "chats_total"))
    headers = [c.id for c in response.context["columns"]]
    assert headers == ["requested_at", "chat", "agent", "team", "channel", "status", "wait_time", "first_response_time",
                       "chat_duration", "transfers", "tags", "csat"]
    # On the page the team is shown under the agent and a transfer count under the outcome.
    assert [c.id for c in response.context["page_columns"]] == [
        "requested_at", "chat", "agent", "channel", "status", "wait_time", "first_response_time", "chat_duration",
        "tags", "csat"]
    rows = table_rows(response)
    assert len(rows) == 5  # c1..c5, in order of request
    # c1, 10:00 Helsinki (08:00 UTC): wait 20 s, FRT 30 s, 10 min.
    assert rows[0] == ["3/2/26, 10:00 AM", rows[0][1], "AinoTier 1", "Chat", "Resolved", "20 sec", "30 sec",
                       "10 min", "billing", "5 (1-5)"]
    assert rows[1][4:] == ["EscalatedTransfers: 1", "40 sec", "50 sec", "15 min", "billing, vip", "2 (1-5)"]
    # c4: routed to Bo, missed: no times; c5: nobody's, at 23:30 local (still Monday).
    assert rows[3][2:8] == ["BoTier 2", "Chat", "Missed: Visitor left the queue", "—", "—", "—"]
    assert rows[4][0] == "3/2/26, 11:30 PM" and rows[4][2] == ""
    chat = Chat.objects.for_org(org).get(requested_at=local(MONDAY, 10))
    assert reverse("chat_timeline", kwargs={"org_slug": org.slug, "chat_id": chat.pk}) in response.content.decode()
    assert "times in Europe/Helsinki" in text(response)


def test_sla_lists_show_the_target_that_applied(org, week, manager_client):
    response = manager_client.get(url_for(org, "first_response_time", "above_target"))
    ids = [c.id for c in response.context["page_columns"]]
    rows = table_rows(response)
    assert len(rows) == 1  # c3: 70 s > the 60 s default
    assert rows[0][ids.index("target_seconds")] == "1 min"
    assert rows[0][ids.index("first_response_time")] == "1 min 10 sec"
    # A threshold of one's own: FRT over 45 s is c2 (50 s) and c3 (70 s).
    response = manager_client.get(url_for(org, "first_response_time") + "&above=45")
    assert response.context["paginator"].count == 2
    assert plain(response.context["heading"]).startswith("Answered chats with a first response above 45 sec")


def test_ticket_and_answer_lists(org, week, manager_client):
    response = manager_client.get(url_for(org, "resolution_time"))
    ids = [c.id for c in response.context["page_columns"]]
    assert ids[0] == "resolved_at"  # listed by the day of resolution
    rows = table_rows(response)
    # t2 resolved Monday 15:00 (3 h), t1 Wednesday 09:00 (48 h), by resolution day and time.
    assert [r[ids.index("resolution_time")] for r in rows] == ["3 hr", "2 days"]
    assert rows[0][ids.index("priority")] == "Urgent" and rows[1][ids.index("priority")] == "High"
    assert rows[1][ids.index("target_seconds")] == "1 day"  # high: 24 h default
    response = manager_client.get(url_for(org, "csat"))
    ids = [c.id for c in response.context["page_columns"]]
    assert [r[ids.index("score")] for r in table_rows(response)] == ["5", "2", "4"]


def test_pages_of_fifty_in_a_fixed_number_of_queries(org, manager_client, django_assert_max_num_queries):
    build_week(org)
    for i in range(120):
        chat = ChatFactory(organization=org, requested_at=local(MONDAY, 12) + dt.timedelta(seconds=i))
        chat.tags.add(*org_tags(org), through_defaults={"organization": org})
    url = url_for(org, "chats_total")
    with django_assert_max_num_queries(12):
        first = manager_client.get(url)
    assert first.context["paginator"].count == 125
    assert len(table_rows(first)) == 50 and first.context["next_url"]
    with django_assert_max_num_queries(12):
        third = manager_client.get(url + "&page=3")
    assert len(table_rows(third)) == 25 and third.context["next_url"] is None and third.context["previous_url"]
    assert manager_client.get(url + "&page=4").status_code == 404
    assert manager_client.get(url + "&page=x").status_code == 404


def org_tags(org):
    from chats.models import Tag

    return list(Tag.objects.for_org(org))


def test_csv_and_xlsx_hold_every_row_with_the_pages_values(org, week, manager_client):
    url = url_for(org, "chats_total")
    page = manager_client.get(url)
    columns = page.context["columns"]
    response = manager_client.get(url + "&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="acme-chats_total-2026-03-02-2026-03-04.csv"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[0][0] == "Requested [requested_at]" and lines[0][7] == "First response [first_response_time]"
    assert [h.rsplit("[", 1)[1].rstrip("]") for h in lines[0]] == [c.id for c in columns]
    assert len(lines) == 1 + 5
    c1 = dict(zip([c.id for c in columns], lines[1], strict=True))
    assert c1["requested_at"] == "2026-03-02T10:00:00+02:00"  # the organization's time, with its offset
    assert (c1["wait_time"], c1["first_response_time"], c1["chat_duration"]) == ("20.0", "30.0", "600.0")
    assert (c1["agent"], c1["team"], c1["tags"], c1["csat"]) == ("Aino", "Tier 1", "billing", "5 (1-5)")
    assert lines[4][columns.index(next(c for c in columns if c.id == "wait_time"))] == ""  # missed: no wait

    response = manager_client.get(url + "&export=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0] == tuple(lines[0]) and len(values) == 6
    assert values[1][0] == dt.datetime(2026, 3, 2, 10, 0)  # wall-clock Helsinki time
    assert values[1][6:9] == (20, 30, 600)
    assert manager_client.get(url + "&export=pdf").status_code == 404


def test_a_question_the_list_cannot_answer_says_why(org, week, manager_client):
    base = reverse("drilldown_chats", kwargs={"org_slug": org.slug})
    cases = [
        ("?measure=nope", "Unknown list “nope”."),
        ("?measure=chats_total&from=2026-13-01", "“2026-13-01” is not a date (YYYY-MM-DD)."),
        ("?measure=chats_total&from=2026-03-04&to=2026-03-02", "“from” must not be after “to”."),
        ("?measure=chats_total&agent=a1&team=Tier+1", "Filter by one of agent, team, channel or tag at a time"),
        ("?measure=chats_total&agent=nobody", "Unknown agent “nobody”."),
        ("?measure=chats_total&segment=vip", "Only survey answers can be filtered by segment or touchpoint."),
        ("?measure=chats_missed&reason=bored", "Unknown reason “bored”."),
        ("?measure=chats_total&above=target", "This list has no time to compare with a threshold."),
        ("?measure=chat_duration&above=target", "This list has no SLA target."),
        ("?measure=wait_time&above=soon", "“above” must be “target” or a number of seconds."),
    ]
    for query, message in cases:
        response = manager_client.get(base + query)
        assert response.status_code == 400, query
        assert message in text(response), query
    # A measure of another kind of row is not this list.
    assert manager_client.get(base + "?measure=tickets_created").status_code == 404


def test_chat_timeline(org, week, manager_client):
    c1 = Chat.objects.for_org(org).get(requested_at=local(MONDAY, 10))
    response = manager_client.get(reverse("chat_timeline", kwargs={"org_slug": org.slug, "chat_id": c1.pk}))
    assert response.status_code == 200
    events = [(plain(e["time"]), e["label"], e["detail"], e["span"]) for e in response.context["events"]]
    title = c1.canned_uses.first().canned_response.title
    assert events == [
        ("Mar 2, 2026, 10:00:00 AM", "Requested", "", ""),
        ("Mar 2, 2026, 10:00:20 AM", "Accepted", "Aino", "wait 20 sec"),
        ("Mar 2, 2026, 10:00:30 AM", "First agent response", "", "first response time 30 sec"),
        ("Mar 2, 2026, 10:02:00 AM", "Canned response used", f"{title} · Aino", ""),
        ("Mar 2, 2026, 10:04:00 AM", "Canned response used", f"{title} · Aino", ""),
        ("Mar 2, 2026, 10:10:20 AM", "Ended", "", "duration 10 min"),
        ("Mar 2, 2026, 10:11:20 AM", "Closed", "", "wrap-up 1 min"),
        ("Mar 2, 2026, 10:11:20 AM", "CSAT answer", "5 (1-5)", ""),
    ]
    assert [(s["label"], s["actual"], s["target"], s["met"]) for s in response.context["sla"]] == [
        ("First response", "30 sec", "1 min", True), ("Wait", "20 sec", "1 min", True)]
    page = text(response)
    for fact in ("Chat " + c1.external_id, "billing", "times in Europe/Helsinki", "Transfers", "Resolved"):
        assert fact in page
    counts = response.context["message_counts"]
    assert (counts["visitor"], counts["agent"], counts["total"], counts["average_reply"]) == ("3", "3", "6", "30 sec")

    c3 = Chat.objects.for_org(org).get(requested_at=local(MONDAY, 14))
    response = manager_client.get(reverse("chat_timeline", kwargs={"org_slug": org.slug, "chat_id": c3.pk}))
    assert [s["met"] for s in response.context["sla"]] == [False, True]  # FRT 70 s > 60 s; wait 60 s met
    assert "Breached" in text(response)
    missed = Chat.objects.for_org(org).get(requested_at=local(MONDAY, 23, 30))
    response = manager_client.get(reverse("chat_timeline", kwargs={"org_slug": org.slug, "chat_id": missed.pk}))
    assert [e["label"] for e in response.context["events"]] == ["Requested", "Missed"]
    assert [s["met"] for s in response.context["sla"]] == [None, None]


def test_ticket_timeline(org, week, manager_client):
    t1 = Ticket.objects.for_org(org).get(created_at=local(MONDAY, 9))
    response = manager_client.get(reverse("ticket_timeline", kwargs={"org_slug": org.slug, "ticket_id": t1.pk}))
    events = [(plain(e["time"]), e["label"], e["span"]) for e in response.context["events"]]
    assert events == [("Mar 2, 2026, 9:00:00 AM", "Created", ""),
                      ("Mar 2, 2026, 11:00:00 AM", "First response", "first response time 2 hr"),
                      ("Mar 4, 2026, 9:00:00 AM", "Resolved", "resolution time 2 days")]
    # High priority, defaults: first response 4 h (met by 2 h), resolution 24 h (48 h: breached).
    assert [(s["label"], s["target"], s["met"]) for s in response.context["sla"]] == [
        ("First response", "4 hr", True), ("Resolution", "1 day", False)]
    assert "Complaint" in text(response)


def test_timeline_times_follow_the_organizations_zone(org, week, manager_client):
    org.timezone = "America/New_York"
    org.save()
    c1 = Chat.objects.for_org(org).get(requested_at=dt.datetime(2026, 3, 2, 10, tzinfo=HEL))
    response = manager_client.get(reverse("chat_timeline", kwargs={"org_slug": org.slug, "chat_id": c1.pk}))
    assert plain(response.context["events"][0]["time"]) == "Mar 2, 2026, 3:00:00 AM"  # 08:00 UTC in New York (EST)
    assert response.context["events"][0]["iso"] == "2026-03-02T03:00:00-05:00"


def test_a_time_without_its_own_column_is_shown_as_measured(org, week, manager_client):
    response = manager_client.get(url_for(org, "handle_time"))
    ids = [c.id for c in response.context["page_columns"]]
    assert ids[ids.index("status") + 1] == "value_seconds"
    # c1 600 + 60, c2 900 + 120, c3 300 + 0 (not closed): the builder's handling times.
    assert [r[ids.index("value_seconds")] for r in table_rows(response)] == ["11 min", "17 min", "5 min"]


def test_an_xlsx_too_long_to_build_in_memory_is_refused_for_the_csv(org, week, manager_client, monkeypatch):
    from reports.drilldown import views

    monkeypatch.setattr(views, "XLSX_MAX_ROWS", 4)
    url = url_for(org, "chats_total")
    response = manager_client.get(url + "&export=xlsx")
    assert response.status_code == 400
    assert "This list has 5 rows, more than an Excel download holds here (4); download the CSV." in text(response)
    csv_rows = b"".join(manager_client.get(url + "&export=csv").streaming_content).decode("utf-8-sig").splitlines()
    assert len(csv_rows) == 6  # the CSV streams, whatever the length


def test_a_timeline_takes_a_fixed_number_of_queries(org, week, manager_client, django_assert_max_num_queries):
    c1 = Chat.objects.for_org(org).get(requested_at=local(MONDAY, 10))
    with django_assert_max_num_queries(12):
        assert manager_client.get(reverse("chat_timeline", kwargs={"org_slug": org.slug, "chat_id": c1.pk})).status_code == 200
    t1 = Ticket.objects.for_org(org).get(created_at=local(MONDAY, 9))
    with django_assert_max_num_queries(12):
        assert manager_client.get(reverse("ticket_timeline", kwargs={"org_slug": org.slug, "ticket_id": t1.pk})).status_code == 200


def test_numbers_dates_and_durations_follow_the_active_language(org, week, manager_client):
    manager_client.cookies["django_language"] = "fi"
    response = manager_client.get(url_for(org, "chats_total"))
    ids = [c.id for c in response.context["page_columns"]]
    c2 = table_rows(response)[1]
    assert c2[ids.index("chat_duration")] == "15 min"
    assert c2[ids.index("requested_at")] == "2.3.2026 11.00"
    assert plain(response.context["heading"]).endswith("2.–4. maaliskuuta 2026")
