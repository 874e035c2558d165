"""Item fields of the bulk ingestion contract (API.md "Ingestion").

Each field parses one JSON value into what the model stores, in plain Python: a DRF serializer
per item costs more than the whole write at 1,000 items a request. ``from_text`` turns a CSV
cell into the JSON value the same ``parse`` then checks, so files and the API validate alike.
``schema_field`` builds the DRF field that documents it in the OpenAPI schema.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.errors import cut
from accounts.api.parsers import loads_limited
from chats.windows import ACTIVITY, Window

REQUIRED = _("This field is required.")
UNKNOWN_FIELD = _("Unknown field.")
NOT_A_STRING = _("A string is required.")
EMPTY_STRING = _("This field may not be empty.")
TOO_LONG = _("At most %(max_length)d characters are allowed.")
NOT_A_CHOICE = _("“%(value)s” is not one of: %(choices)s.")
NOT_A_BOOLEAN = _("true or false is required.")
NOT_AN_INTEGER = _("A whole number is required.")
NOT_A_NUMBER = _("A number is required.")
NEGATIVE = _("Must not be negative.")
TOO_MANY_DIGITS = _("At most %(digits)d digits, %(places)d of them after the decimal point.")
NOT_A_TIMESTAMP = _("An ISO 8601 timestamp with a UTC offset is required, e.g. 2026-03-02T10:00:00+02:00.")
NAIVE_TIMESTAMP = _("The timestamp has no UTC offset; add one (e.g. +02:00 or Z).")
NOT_A_DATE = _("An ISO 8601 date is required, e.g. 2026-03-02.")
NOT_AN_EMAIL = _("Enter a valid e-mail address.")
NOT_A_URL = _("Enter a valid URL.")
NOT_A_COLOR = _("A colour like #1a2b3c is required.")
NOT_A_LIST = _("A list of names is required.")
NOT_AN_OBJECT = _("An object is required.")
NOT_JSON = _("Not valid JSON: %(error)s")
NOT_TEXT = _("Must be Unicode text without NUL characters.")
TOO_LARGE = _("At most %(max)d.")
# PositiveIntegerField's range on every supported database; a year of such values still sums
# far inside a 64-bit snapshot column.
MAX_COUNT = 2_147_483_647
# Ten years, in seconds: no duration or sum of response times of one conversation is longer, and
# millions of them sum exactly in a float8 snapshot column (1e308 twice overflowed the builder).
MAX_SECONDS = 315_576_000


# A client value quoted in an error message is cut to this many characters: a 1 MB unknown
# reference must not come back in full.
ECHO_MAX_CHARS = 80


def echo(value) -> str:
    """A client value quoted in an error message: always encodable (lone surrogates escaped) and
    at most ECHO_MAX_CHARS characters (longer ones end in "…")."""
    return cut(value, ECHO_MAX_CHARS).encode("utf-8", "backslashreplace").decode("utf-8")


def number_or_text(cast, text: str):
    """A CSV cell as a number when it reads as one; otherwise the text, for ``parse`` to reject."""
    try:
        return cast(text)
    except ValueError:
        return text


def check_text(value: str) -> str:
    """PostgreSQL text holds neither NUL nor lone surrogates (which JSON can smuggle in)."""
    if "\x00" in value:
        raise FieldError(NOT_TEXT)
    if value.isascii():  # O(1) in CPython; ASCII has no surrogates
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FieldError(NOT_TEXT) from exc
    return value

_NO_DEFAULT = object()


class FieldError(Exception):
    """One bad value; ``field`` overrides the item field name (e.g. ``messages[2].sent_at``)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


class Field:
    """One item field. ``attname`` is the model attribute it fills (None: not a model column)."""

    schema_class: type[serializers.Field] = serializers.CharField

    def __init__(self, name: str, *, required: bool = False, attname: str | None = _NO_DEFAULT,
                 empty: Any = _NO_DEFAULT, help_text: str = ""):
        self.name = name
        self.required = required
        self.attname = name if attname is _NO_DEFAULT else attname
        self.empty = empty
        self.help_text = help_text
        self.model_field = None

    def bind(self, model) -> None:
        """Take limits and the value of an absent field from the model column."""
        if self.attname is None:
            if self.empty is _NO_DEFAULT:
                self.empty = None
            return
        self.model_field = model._meta.get_field(self.attname)
        if self.empty is _NO_DEFAULT:
            self.empty = None if self.model_field.null else self.model_field.get_default()

    def parse(self, value: Any) -> Any:
        """The stored value of a non-null JSON value, or FieldError."""
        return value

    def from_text(self, text: str) -> Any:
        """The JSON value a non-empty CSV cell stands for."""
        return text

    def schema_field(self) -> serializers.Field:
        return self.schema_class(**self.schema_kwargs())

    def schema_kwargs(self) -> dict:
        return {"required": self.required, "allow_null": not self.required, "help_text": self.help_text}


VALIDATORS = {"email": EmailValidator(), "url": URLValidator()}


@functools.lru_cache(maxsize=4096)
def _valid(kind: str, value: str) -> bool:
    """Regex validators are the costliest per-item check; a batch repeats page URLs a lot."""
    try:
        VALIDATORS[kind](value)
    except ValidationError:
        return False
    return True


class Str(Field):
    validator: str | None = None  # a key of VALIDATORS
    invalid = None

    def __init__(self, name: str, *, max_length: int | None = None, **kwargs):
        super().__init__(name, **kwargs)
        self.max_length = max_length

    def bind(self, model) -> None:
        super().bind(model)
        if self.max_length is None and self.model_field is not None:
            self.max_length = self.model_field.max_length

    def parse(self, value):
        if not isinstance(value, str):
            raise FieldError(NOT_A_STRING)
        if self.required and not value:
            raise FieldError(EMPTY_STRING)
        check_text(value)
        if self.max_length is not None and len(value) > self.max_length:
            raise FieldError(TOO_LONG % {"max_length": self.max_length})
        if value and self.validator is not None and not _valid(self.validator, value):
            raise FieldError(self.invalid)
        return value

    def schema_kwargs(self):
        return {**super().schema_kwargs(), "max_length": self.max_length, "allow_blank": not self.required}


class Email(Str):
    validator = "email"
    invalid = NOT_AN_EMAIL
    schema_class = serializers.EmailField


class Url(Str):
    validator = "url"
    invalid = NOT_A_URL
    schema_class = serializers.URLField


class Color(Str):
    pattern = re.compile(r"^#[0-9a-fA-F]{6}$")

    def parse(self, value):
        value = super().parse(value)
        if value and not self.pattern.match(value):
            raise FieldError(NOT_A_COLOR)
        return value


class Choice(Field):
    """One of the model column's choices."""

    def bind(self, model):
        super().bind(model)
        self.labelled_choices = self.model_field.choices
        self.choices = [value for value, _label in self.labelled_choices]
        self.choice_set = frozenset(self.choices)

    def parse(self, value):
        if not isinstance(value, str) or value not in self.choice_set:
            raise FieldError(NOT_A_CHOICE % {"value": echo(value), "choices": ", ".join(self.choices)})
        return value

    def schema_field(self):
        return serializers.ChoiceField(choices=self.labelled_choices, **self.schema_kwargs())


class Bool(Field):
    schema_class = serializers.BooleanField
    TEXT = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def parse(self, value):
        if not isinstance(value, bool):
            raise FieldError(NOT_A_BOOLEAN)
        return value

    def from_text(self, text):
        return self.TEXT.get(text.strip().lower(), text)


class Count(Field):
    """A whole number, never negative."""

    schema_class = serializers.IntegerField

    def parse(self, value):
        if not isinstance(value, int) or isinstance(value, bool):
            raise FieldError(NOT_AN_INTEGER)
        if value < 0:
            raise FieldError(NEGATIVE)
        if value > MAX_COUNT:
            raise FieldError(TOO_LARGE % {"max": MAX_COUNT})
        return value

    def from_text(self, text):
        return number_or_text(int, text)

    def schema_kwargs(self):
        return {**super().schema_kwargs(), "min_value": 0}


class Seconds(Field):
    """A duration or amount in seconds: a finite number from 0 to ``max_value``."""

    schema_class = serializers.FloatField

    def __init__(self, name: str, *, max_value: int = MAX_SECONDS, **kwargs):
        super().__init__(name, **kwargs)
        self.max_value = max_value

    def parse(self, value):
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise FieldError(NOT_A_NUMBER)
        if value < 0:
            raise FieldError(NEGATIVE)
        if value > self.max_value:
            raise FieldError(TOO_LARGE % {"max": self.max_value})
        return float(value)

    def from_text(self, text):
        return number_or_text(float, text)

    def schema_kwargs(self):
        return {**super().schema_kwargs(), "min_value": 0, "max_value": self.max_value}


class Money(Field):
    """A non-negative decimal within the column's digits (a JSON number or a numeric string)."""

    def bind(self, model):
        super().bind(model)
        self.max_digits = self.model_field.max_digits
        self.decimal_places = self.model_field.decimal_places

    def parse(self, value):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise FieldError(NOT_A_NUMBER)
        try:
            amount = decimal.Decimal(str(value))
        except decimal.InvalidOperation as exc:
            raise FieldError(NOT_A_NUMBER) from exc
        if not amount.is_finite():
            raise FieldError(NOT_A_NUMBER)
        if amount < 0:
            raise FieldError(NEGATIVE)
        quantum = decimal.Decimal(1).scaleb(-self.decimal_places)
        try:
            stored = amount.quantize(quantum)
        except decimal.InvalidOperation:
            stored = None
        if stored != amount or amount >= 10 ** (self.max_digits - self.decimal_places):
            raise FieldError(TOO_MANY_DIGITS % {"digits": self.max_digits, "places": self.decimal_places})
        return stored

    def schema_field(self):
        return serializers.DecimalField(
            max_digits=self.max_digits, decimal_places=self.decimal_places, min_value=0, coerce_to_string=False,
            **self.schema_kwargs(),
        )


def parse_timestamp(value, window: Window = ACTIVITY) -> dt.datetime:
    """An aware datetime inside ``window`` (chats.windows), from an ISO 8601 string with an offset."""
    if not isinstance(value, str):
        raise FieldError(NOT_A_TIMESTAMP)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise FieldError(NOT_A_TIMESTAMP) from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise FieldError(NAIVE_TIMESTAMP)
    problem = window.instant_problem(parsed)
    if problem:
        raise FieldError(problem)
    return parsed


class WindowedField(Field):
    """A field whose values lie in a window of time (chats.windows), which its schema states."""

    def __init__(self, name: str, *, window: Window = ACTIVITY, **kwargs):
        super().__init__(name, **kwargs)
        self.window = window

    def schema_kwargs(self):
        help_text = " ".join(t for t in (self.help_text, self.window.description) if t)
        return {**super().schema_kwargs(), "help_text": help_text}


class Timestamp(WindowedField):
    """An instant inside its window: ``ACTIVITY`` (counted on a local day) or ``HISTORY``."""

    schema_class = serializers.DateTimeField

    def parse(self, value):
        return parse_timestamp(value, self.window)


class Date(WindowedField):
    """A local date inside its window (``ACTIVITY``)."""

    schema_class = serializers.DateField

    def parse(self, value):
        if not isinstance(value, str):
            raise FieldError(NOT_A_DATE)
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise FieldError(NOT_A_DATE) from exc
        problem = self.window.date_problem(parsed)
        if problem:
            raise FieldError(problem)
        return parsed


class Ref(Field):
    """The external id (or, for tags, the name) of another entity of the same organization.

    ``model`` and ``lookup`` name what it points to; ``extra`` lists columns of the referenced row
    the entity needs (loaded in the same one query per referenced model and batch).
    ``same_batch``: the item may point to an item of the same batch (or, in a file import, of an
    earlier line).
    """

    def __init__(self, name: str, model, *, lookup: str = "external_id", extra: tuple[str, ...] = (),
                 same_batch: bool = False, **kwargs):
        kwargs.setdefault("attname", f"{name}_id")
        super().__init__(name, **kwargs)
        self.model = model
        self.lookup = lookup
        self.extra = extra
        self.same_batch = same_batch

    def parse(self, value):
        if not isinstance(value, str):
            raise FieldError(NOT_A_STRING)
        if not value:
            raise FieldError(EMPTY_STRING)
        return check_text(value)

    def schema_kwargs(self):
        target = self.model._meta.verbose_name
        return {**super().schema_kwargs(), "help_text": self.help_text or f"external_id of the {target}"}


class TagNames(Ref):
    """Tag names (tags are created by the ``tags`` endpoint). The CSV cell is ``;``-separated.
    The name of a tag merged into another stays an alias of the surviving tag (``merged_into_id``,
    loaded with the names), so a client still sending the old name keeps the history together."""

    def __init__(self, model, name: str = "tags", **kwargs):
        super().__init__(name, model, lookup="name", attname=None, empty=(), extra=("merged_into_id",), **kwargs)

    def parse(self, value):
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise FieldError(NOT_A_LIST)
        return tuple(dict.fromkeys(check_text(v) for v in value))

    def from_text(self, text):
        return [name.strip() for name in text.split(";") if name.strip()]

    def schema_field(self):
        return serializers.ListField(
            child=serializers.CharField(), required=False,
            help_text="Tag names; the conversation's tags are replaced by this list (absent: no tags).",
        )


class JsonValue(Field):
    """A structured value; in a CSV cell it is written as JSON."""

    def from_text(self, text):
        try:
            return loads_limited(text)
        except ValueError as exc:
            raise FieldError(NOT_JSON % {"error": exc}) from exc
