"""Every URL pattern of the project, for the tests that must cover each one."""

from django.urls import URLPattern, URLResolver, get_resolver


def url_patterns(patterns=None, prefix=""):
    """``(route, pattern)`` of every URL pattern, named or not, the includes' prefixes joined."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p
