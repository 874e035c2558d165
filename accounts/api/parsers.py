"""JSON with a nesting limit, for request bodies and for ``import_data`` lines.

Python's parser recurses once per level: a body nested a thousand deep raised RecursionError
(a 500), and anything that walks a deep value later (an error message quoting it, a JSON column)
can do the same. Every JSON document we accept is parsed here and refused past
``MAX_JSON_DEPTH`` levels; no valid item comes near it (a chat's messages are four levels down).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

MAX_JSON_DEPTH = 32
TOO_DEEP = _("JSON nested more than %(max)d levels deep.")
NOT_JSON = _("JSON parse error - %(error)s")


class JsonTooDeep(ValueError):
    pass


def _depth_exceeds(value, limit: int) -> bool:
    """Whether any container in ``value`` is more than ``limit`` levels deep (iterative walk)."""
    stack = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                push((child, depth + 1))
    return False


def loads_limited(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, strict: bool = False):
    """``json.loads`` that raises JsonTooDeep (a ValueError) past ``max_depth`` levels;
    ``strict``: NaN and Infinity are refused as well."""
    try:
        value = json.loads(text, parse_constant=strict_constant if strict else None)
    except RecursionError as exc:
        raise JsonTooDeep(str(TOO_DEEP % {"max": max_depth})) from exc
    if isinstance(value, dict | list) and _depth_exceeds(value, max_depth):
        raise JsonTooDeep(str(TOO_DEEP % {"max": max_depth}))
    return value


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with the nesting limit; a bad body is a 400 naming the problem."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            return loads_limited(stream.read().decode(encoding), strict=self.strict)
        except JsonTooDeep as exc:
            raise ParseError(str(exc)) from exc
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise ParseError(str(NOT_JSON % {"error": exc})) from exc
