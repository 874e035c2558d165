"""Rate limit per API key (``API_THROTTLE_RATE``, e.g. ``1200/min``; empty turns it off).

Over the limit: ``429`` in the error shape with ``Retry-After`` (seconds). Counts live in the
Django cache (Redis in production), so the limit holds across every web process.

A fixed-window counter rather than DRF's sliding log: one atomic ``incr`` per request instead of
reading and rewriting a list of up to N timestamps, and no lost updates between processes. The
price is that a client may spend two windows' worth at a window boundary.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiKey

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"1200/min"`` -> (1200, 60). The period is read from its first letter (s, m, h, d)."""
    number, period = rate.split("/")
    return int(number), PERIODS[period.strip()[0]]


class ApiKeyRateThrottle(BaseThrottle):
    timer = time.time

    def allow_request(self, request, view) -> bool:
        key = request.auth
        rate = settings.API_THROTTLE_RATE
        if not rate or not isinstance(key, ApiKey):
            return True  # unauthenticated requests are refused before they cost anything
        limit, period = parse_rate(rate)
        now = self.timer()
        window = int(now // period)
        self.wait_seconds = (window + 1) * period - now
        # The key's public prefix: unique and random, so a count never carries over to a new key
        # that reuses a database id (as in a recreated test database).
        cache_key = f"throttle:api_key:{key.prefix}:{period}:{window}"
        cache.add(cache_key, 0, timeout=period + 1)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=period + 1)
            count = 1
        return count <= limit

    def wait(self) -> int:
        return max(1, math.ceil(getattr(self, "wait_seconds", 1)))
