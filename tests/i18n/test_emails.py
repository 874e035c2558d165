"""Report e-mails are written in the recipient's language: a member's own, else (and for an
external address) the schedule's. Needs the compiled catalogs (``make install``)."""

import pytest
from django.core import mail

from accounts.models import Role
from schedules.models import ReportDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogs")]

NBSP = "\xa0"


def sent_to(address):
    return [m for m in mail.outbox if address in m.to]


def html_part(message) -> str:
    return next(body for body, mime in message.alternatives if mime == "text/html")


def test_a_finnish_member_gets_the_report_in_finnish(
    org, week, make_schedule, member_factory, dispatch
):
    finnish = member_factory(org, role=Role.MANAGER)
    finnish.language = "fi"
    finnish.save(update_fields=["language"])
    english = member_factory(org, role=Role.MANAGER)
    make_schedule(name="Viikkoraportti", members=[finnish, english], language="en")

    dispatch()

    (fi,) = sent_to(finnish.email)
    (en,) = sent_to(english.email)
    # The week Mon 2 .. Sun 8 March 2026 as Finnish writes it; the catalog's texts.
    assert fi.subject == "Viikkoraportti: 2.–8. maaliskuuta 2026"
    assert "Avaa tämän jakson raportti" in fi.body
    assert "Peru tämän raportin tilaus" in fi.body
    assert f"66,7{NBSP}%" in fi.body
    assert "Open the report for this period" not in fi.body
    assert "Peru tämän raportin tilaus" in html_part(fi)
    assert '<html lang="fi"' in html_part(fi)
    # The schedule's language for the member who chose none.
    # (The subject line collapses CLDR's thin and narrow no-break spaces to plain ones.)
    assert en.subject == "Viikkoraportti: Mar 2 – 8, 2026"
    assert "Open the report for this period" in en.body
    assert ReportDelivery.objects.for_org(org).get(recipient=finnish.email).language == "fi"


def test_an_external_address_gets_the_schedules_language(
    org, week, make_schedule, member_factory, dispatch
):
    finnish = member_factory(org, role=Role.MANAGER)
    finnish.language = "fi"
    finnish.save(update_fields=["language"])
    make_schedule(
        name="Седмичен отчет",
        members=[finnish],
        external_recipients=["boss@example.test"],
        language="bg",
    )

    dispatch()

    (bg,) = sent_to("boss@example.test")
    assert bg.subject == "Седмичен отчет: 2.03 – 8.03.2026 г."
    assert "Отворете отчета за този период" in bg.body
    assert "Отписване от този отчет" in bg.body
    assert "66,7%" in bg.body
    assert "Open the report for this period" not in bg.body
    assert ReportDelivery.objects.for_org(org).get(recipient="boss@example.test").language == "bg"
    # The member keeps their own language on the same schedule.
    (fi,) = sent_to(finnish.email)
    assert "Avaa tämän jakson raportti" in fi.body
