"""``manage.py import_data``: CSV and JSON Lines through the bulk validation, all or nothing."""

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from chats.ingestion.fields import NAIVE_TIMESTAMP, NEGATIVE
from chats.models import Chat, Customer
from tests.factories import AgentFactory, TagFactory

UTC = dt.UTC


def run(org, entity, path):
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("import_data", "--org", org.slug, "--entity", entity, str(path), stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), str(exc)
    return out.getvalue(), err.getvalue(), None


@pytest.fixture
def agent(org):
    TagFactory(organization=org, name="billing")
    TagFactory(organization=org, name="vip")
    return AgentFactory(organization=org, external_id="a-1")


CSV = (
    "external_id,requested_at,agent,tags,transfers,messages\n"
    "c-1,2026-03-02T10:00:00Z,a-1,billing;vip,1,\n"
    'c-2,2026-03-02T11:00:00+02:00,,,,"[{""author"": ""visitor"", ""sent_at"": ""2026-03-02T09:00:05Z""},'
    ' {""author"": ""agent"", ""sent_at"": ""2026-03-02T09:00:35Z""}]"\n'
)


@pytest.mark.django_db
def test_a_csv_file_is_imported_then_reimported_without_change(org, agent, tmp_path):
    path = tmp_path / "chats.csv"
    path.write_text(CSV)
    out, _err, error = run(org, "chats", path)
    assert error is None
    assert "2 created, 0 updated, 0 unchanged" in out
    c1, c2 = Chat.objects.for_org(org).order_by("external_id")
    assert sorted(c1.tags.values_list("name", flat=True)) == ["billing", "vip"]
    assert (c1.agent_id, c1.transfers) == (agent.pk, 1)
    assert (c2.agent_id, c2.transfers, c2.response_count, c2.response_time_total_s) == (None, 0, 1, 30.0)
    assert c2.first_response_at == dt.datetime(2026, 3, 2, 9, 0, 35, tzinfo=UTC)

    out, _err, error = run(org, "chats", path)
    assert "0 created, 0 updated, 2 unchanged" in out


@pytest.mark.django_db
def test_a_jsonl_file_is_imported(org, agent, tmp_path):
    path = tmp_path / "chats.jsonl"
    path.write_text(
        json.dumps({"external_id": "c-1", "requested_at": "2026-03-02T10:00:00Z", "tags": ["vip"]}) + "\n\n"
        + json.dumps({"external_id": "c-2", "requested_at": "2026-03-02T10:00:00Z"}) + "\n"
    )
    out, _err, error = run(org, "chats", path)
    assert error is None
    assert Chat.objects.for_org(org).count() == 2


@pytest.mark.django_db
def test_errors_are_reported_by_line_and_nothing_is_written(org, agent, tmp_path):
    path = tmp_path / "chats.csv"
    path.write_text(
        "external_id,requested_at,transfers\n"
        "c-1,2026-03-02T10:00:00Z,1\n"
        "c-2,2026-03-02T10:00:00,1\n"
        "c-3,2026-03-02T10:00:00Z,-1\n"
        "c-1,2026-03-02T10:00:00Z,2\n"
    )
    _out, err, error = run(org, "chats", path)
    assert error == f"3 problem(s) in {path}; nothing was written."
    assert err.splitlines() == [
        f"line 3: requested_at: {NAIVE_TIMESTAMP}",
        f"line 4: transfers: {NEGATIVE}",
        "line 5: external_id: “c-1” is already on line 2.",
    ]
    assert Chat.objects.for_org(org).count() == 0


@pytest.mark.django_db
def test_a_bad_line_in_a_later_batch_writes_nothing_from_earlier_batches(org, tmp_path):
    lines = [json.dumps({"external_id": f"t-{i}", "name": f"T{i}"}) for i in range(2500)]
    lines[2100] = json.dumps({"external_id": "t-2100"})
    path = tmp_path / "teams.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _out, err, error = run(org, "teams", path)
    assert err.splitlines() == ["line 2101: name: This field is required."]
    assert error is not None
    from accounts.models import Team

    assert Team.objects.for_org(org).count() == 0


@pytest.mark.django_db
def test_referrals_may_point_to_earlier_lines_in_other_batches(org, tmp_path):
    lines = [json.dumps({"external_id": f"c-{i}", "acquired_at": "2026-01-01T00:00:00Z"}) for i in range(1200)]
    lines.append(json.dumps({"external_id": "c-late", "acquired_at": "2026-01-01T00:00:00Z", "referred_by": "c-3"}))
    path = tmp_path / "customers.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out, _err, error = run(org, "customers", path)
    assert error is None, _err
    assert Customer.objects.for_org(org).get(external_id="c-late").referred_by.external_id == "c-3"


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "message"), [
    (b"external_id,name\nt-1,Caf\xe9\n", "line 2: not valid UTF-8 (byte 8: invalid continuation byte)"),
    (b"external_id,name\nt-1,\"Open\n", "line 2: malformed CSV: unexpected end of data"),
    (b"external_id,name\nt-1,A,extra\n", "line 2: 3 cells, but the header has 2"),
    (b"external_id,colour\nt-1,A\n",
     "line 1: the header must name each field once, from: external_id, name (unknown: colour)"),
])
def test_malformed_csv_is_a_line_numbered_error(org, tmp_path, content, message):
    path = tmp_path / "teams.csv"
    path.write_bytes(content)
    _out, _err, error = run(org, "teams", path)
    assert error == message
    from accounts.models import Team

    assert Team.objects.for_org(org).count() == 0


@pytest.mark.django_db
def test_malformed_json_lines_is_a_line_numbered_error(org, tmp_path):
    path = tmp_path / "teams.jsonl"
    path.write_text('{"external_id": "t-1", "name": "A"}\n{"external_id": "t-2", "name": \n')
    _out, _err, error = run(org, "teams", path)
    assert error.startswith("line 2: malformed JSON:")


@pytest.mark.django_db
def test_a_deeply_nested_json_line_is_a_line_numbered_error(org, tmp_path):
    path = tmp_path / "chats.jsonl"
    deep = "[" * 5000 + "]" * 5000
    path.write_text('{"external_id": "c-1", "requested_at": "2026-03-02T10:00:00Z"}\n'
                    '{"external_id": "c-2", "requested_at": "2026-03-02T10:00:00Z", "messages": ' + deep + "}\n")
    _out, _err, error = run(org, "chats", path)
    assert error == "line 2: malformed JSON: JSON nested more than 32 levels deep."
    assert not Chat.objects.for_org(org).exists()


@pytest.mark.django_db
def test_a_deeply_nested_csv_cell_is_a_line_numbered_error(org, tmp_path):
    path = tmp_path / "chats.csv"
    deep = "[" * 5000 + "]" * 5000
    path.write_text(f"external_id,requested_at,messages\nc-1,2026-03-02T10:00:00Z,{deep}\n")
    _out, err, error = run(org, "chats", path)
    assert error == f"1 problem(s) in {path}; nothing was written."
    assert err.startswith("line 2: messages: Not valid JSON: JSON nested more than 32 levels deep.")


@pytest.mark.django_db
def test_a_thousand_good_lines_and_one_out_of_its_window_write_nothing(org, tmp_path):
    lines = [json.dumps({"external_id": f"c-{i}", "requested_at": "2026-03-02T10:00:00Z"}) for i in range(1000)]
    lines.append(json.dumps({"external_id": "c-bad", "requested_at": "0001-01-01T00:00:00Z"}))
    path = tmp_path / "chats.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _out, err, error = run(org, "chats", path)
    assert error == f"1 problem(s) in {path}; nothing was written."
    assert err.startswith("line 1001: requested_at: Must be from ")
    assert not Chat.objects.for_org(org).exists()


@pytest.fixture
def chat_insert_fails_for_poison(db):
    """A real database failure in the middle of the write pass: a trigger that refuses one row."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION test_refuse_poison() RETURNS trigger AS $$
            BEGIN
                IF NEW.external_id = 'poison' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER test_refuse_poison BEFORE INSERT ON chats_chat
                FOR EACH ROW EXECUTE FUNCTION test_refuse_poison();
        """)
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS test_refuse_poison ON chats_chat; "
                       "DROP FUNCTION IF EXISTS test_refuse_poison();")


@pytest.mark.django_db(transaction=True)
def test_a_write_that_fails_in_a_later_batch_commits_nothing_of_the_file(org, tmp_path, chat_insert_fails_for_poison):
    """1,500 valid lines; the second batch's write fails in the database: no line is committed
    (the whole file is one transaction), and the error names the batch."""
    lines = [json.dumps({"external_id": f"c-{i}", "requested_at": "2026-03-02T10:00:00Z"}) for i in range(1500)]
    lines[1200] = json.dumps({"external_id": "poison", "requested_at": "2026-03-02T10:00:00Z"})
    path = tmp_path / "chats.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _out, _err, error = run(org, "chats", path)
    assert error == ("Writing the batch from line 1001 failed (ProgrammingError: refused by the test trigger); "
                     "nothing was written.")
    assert Chat.objects.for_org(org).count() == 0
    from reports.models import DirtyDay

    assert not DirtyDay.objects.for_org(org).exists()
