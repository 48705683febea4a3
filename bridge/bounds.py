"""Bounds on what a request may hold: database ids in URLs, page numbers, plain decimals.

Werkzeug's `int` converter and `int()` take any length of digits (and Unicode digits such as
"１２" or "١٢"); an id past the database's integer range then fails in the driver (a 500).
Ids here are ASCII digits within PostgreSQL's `integer` (the smaller of our two databases),
and page numbers are bounded, so what cannot exist is a 404.

Decimal() and int() also read "１２", "١٢", "1_000", "1e3" and " 12 "; a number a person types
into Bridge is plain ASCII: an optional sign, digits, an optional point and decimals.
"""
import re

from flask import Flask, abort, request
from werkzeug.routing import BaseConverter, ValidationError

MAX_ID = 2**31 - 1  # PostgreSQL integer; SQLite's is larger
MAX_PAGE = 1_000_000  # far past any table, far from an offset overflow
ASCII_DIGITS = re.compile(r"[0-9]+")
PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def is_plain_decimal(text: str) -> bool:
    """Whether `text` is a number written plainly in ASCII (12, -3.50, .5), nothing else."""
    return bool(PLAIN_DECIMAL.fullmatch(text))


class DatabaseId(BaseConverter):
    """`<int:name>` in every route: ASCII digits, 1 to MAX_ID; anything else matches nothing."""

    regex = r"[0-9]{1,10}"
    weight = 50

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def page_number(name: str = "page") -> int:
    """The page asked for in the query string: 1 when absent or not a number, 404 past MAX_PAGE."""
    value = request.args.get(name, "")
    if not ASCII_DIGITS.fullmatch(value):
        return 1
    if len(value) > 7 or int(value) > MAX_PAGE:
        abort(404)
    return max(int(value), 1)


def parse_id(value) -> int | None:
    """A posted or queried id, or None when it is not ASCII digits or out of range."""
    if isinstance(value, str) and ASCII_DIGITS.fullmatch(value) and len(value) <= 10 and 1 <= int(value) <= MAX_ID:
        return int(value)
    return None


def id_arg(name: str) -> int | None:
    """An id from the query string (see parse_id)."""
    return parse_id(request.args.get(name))


def coerce_id(value) -> int:
    """WTForms coerce for id choices: refuses (ValueError, a field error) what parse_id refuses."""
    if isinstance(value, int):
        return value
    number = parse_id(value)
    if number is None:
        raise ValueError("Not an id.")
    return number


def init_app(app: Flask) -> None:
    """Before any blueprint: the rules take their converter when they are added."""
    app.url_map.converters["int"] = DatabaseId
