"""The project's settings with the benchmark's URLs: the app as deployed, plus the trivial views
that serve as the yardstick for requests per second (bench/serve.py)."""

from helpdesk_metrics.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
