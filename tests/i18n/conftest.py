from pathlib import Path

import pytest
from django.conf import settings

# The schedules tests' week of data, schedule factory and dispatcher.
from tests.schedules.conftest import dispatch, make_schedule, week  # noqa: F401

CATALOG_LANGUAGES = ("fi", "bg", "et", "zh_Hans")


@pytest.fixture(scope="session")
def compiled_catalogs():
    """Tests of translated text need the compiled catalogs (``make install`` builds them)."""
    locale_dir = Path(settings.LOCALE_PATHS[0])
    missing = [
        lang
        for lang in CATALOG_LANGUAGES
        if not (locale_dir / lang / "LC_MESSAGES" / "django.mo").exists()
    ]
    if missing:
        pytest.fail(
            f"no compiled catalog for {', '.join(missing)}: run `make install` (compilemessages)"
        )
