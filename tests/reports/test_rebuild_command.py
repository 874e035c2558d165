import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reports.models import DaySnapshot
from tests.factories import ChatFactory
from tests.reports.dataset import MONDAY, local

pytestmark = pytest.mark.django_db


def test_rebuild_a_range(org):
    ChatFactory(organization=org, requested_at=local(MONDAY, 9))
    out = StringIO()
    call_command("rebuild_snapshots", "--org", org.slug, "--since", "2026-03-01", "--until", "2026-03-03",
                 verbosity=0, stdout=out)
    assert "Rebuilt 3 days" in out.getvalue()
    assert list(DaySnapshot.objects.for_org(org).values_list("day", "chats_total")) == [(MONDAY, 1)]


def test_default_range_is_the_data_span(org):
    ChatFactory(organization=org, requested_at=local(MONDAY, 9))
    ChatFactory(organization=org, requested_at=local(MONDAY + dt.timedelta(days=4), 9))
    out = StringIO()
    call_command("rebuild_snapshots", "--org", org.slug, verbosity=0, stdout=out)
    assert "Rebuilt 5 days (2026-03-02 to 2026-03-06)" in out.getvalue()


@pytest.mark.parametrize(("args", "message"), [
    (["--org", "nope"], "No organization"),
    (["--org", "acme", "--since", "2026-03-05", "--until", "2026-03-01"], "after"),
])
def test_errors(org, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("rebuild_snapshots", *args, verbosity=0)


def test_a_bad_date_is_named(org, capsys):
    with pytest.raises(CommandError, match="“2026-13-01” is not a date"):
        call_command("rebuild_snapshots", "--org", org.slug, "--since", "2026-13-01")
