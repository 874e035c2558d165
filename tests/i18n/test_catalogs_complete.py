"""Every msgid of the project has a translation in every catalog (issue 13).

``makemessages`` runs over a temporary copy of the project (the repository's catalogs are never
rewritten by a test), with the arguments the catalogs were generated with; the refreshed copies
then hold every msgid the code and templates mark today, merged with the translations committed.
The test fails when any msgid of any of the four catalogs has an empty or fuzzy translation, and
names them. It needs GNU gettext (``msgfmt``/``msgmerge``), as ``compilemessages`` does.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("fi", "bg", "et", "zh_Hans")
# As the catalogs' skeletons were generated (commit 71ccc73).
IGNORED = (".venv", "tests", "bench", "staticfiles")
COPY_IGNORED = shutil.ignore_patterns(
    ".venv",
    ".git",
    "tests",
    "bench",
    "staticfiles",
    "node_modules",
    "__pycache__",
    "*.pyc",
    "*.sqlite3",
    "*.mo",
    "media",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
)

pytestmark = pytest.mark.skipif(
    shutil.which("msgmerge") is None, reason="GNU gettext is not installed"
)


def untranslated(po_path: Path) -> list[str]:
    """The msgids of ``po_path`` without a usable translation: empty (any plural form) or fuzzy."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    missing = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s.strip() for s in strings):
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            missing.append(("[fuzzy] " if message.fuzzy else "") + msgid)
    return missing


@pytest.fixture(scope="module")
def refreshed_catalogs(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("project") / "main"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORED)
    command = [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--no-location"]
    command += [f"-l{language}" for language in LANGUAGES]
    command += [f"--ignore={name}" for name in IGNORED]
    subprocess.run(command, cwd=copy, check=True, capture_output=True, text=True, timeout=600)
    return copy / "locale"


def test_the_copy_found_the_projects_msgids(refreshed_catalogs):
    # Guards the test itself: a makemessages that found nothing would pass every catalog.
    with (refreshed_catalogs / "fi" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle)}
    assert {"Helpdesk metrics", "Your preferences", "Log out"} <= ids
    assert len(ids) > 1000


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_is_translated(refreshed_catalogs, language):
    missing = untranslated(refreshed_catalogs / language / "LC_MESSAGES" / "django.po")
    shown = "\n  ".join(missing[:40])
    assert not missing, f"{language}: {len(missing)} msgids lack a translation, e.g.\n  {shown}"
