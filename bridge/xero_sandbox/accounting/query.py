"""List queries: the `where` expression language, `order`, paging, If-Modified-Since, ID lists.

Filtering is done in Python over a per-record "view" (field path -> typed value): the
sandbox holds demo-sized data, and one evaluator then serves every endpoint.
"""
import datetime as dt
import math
import re
from decimal import Decimal

from flask import request

from bridge.xero_sandbox import wire

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op>==|!=|>=|<=|&&|\|\||[<>!(),])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    )""", re.VERBOSE)
_ESCAPE = re.compile(r"\\(.)")  # \" and \\ inside string literals
_METHODS = {"tolower", "toupper", "contains", "startswith", "endswith"}


class QueryError(ValueError):
    """A `where` or `order` the sandbox cannot read: answered as 400 QueryParseException."""


def _tokens(text: str) -> list[tuple[str, str]]:
    """Split a where expression into (kind, text) tokens."""
    result, position, text = [], 0, text.strip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise QueryError(f"Unexpected character at position {position} in '{text}'")
        kind = found.lastgroup
        result.append((kind, found.group(kind)))
        position = found.end()
    return result


class _Parser:
    """Recursive descent: or-expr -> and-expr -> unary -> comparison -> operand."""

    def __init__(self, text: str, entity: str):
        """Tokenise the expression."""
        self.items = _tokens(text)
        self.at = 0
        self.entity = entity

    def peek(self) -> tuple[str, str] | None:
        """The next token, if any."""
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        """Consume the next token (optionally checking its text)."""
        item = self.peek()
        if item is None or (expected and item[1].lower() != expected.lower()):
            raise QueryError(f"Expected '{expected or 'a value'}' in where clause")
        self.at += 1
        return item

    def parse(self):
        """The whole expression as a tree."""
        node = self.or_expr()
        if self.peek() is not None:
            raise QueryError(f"Unexpected '{self.peek()[1]}' in where clause")
        return node

    def or_expr(self):
        """a OR b OR ..."""
        node = self.and_expr()
        while self.peek() and self.peek()[1].upper() in ("OR", "||"):
            self.take()
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self):
        """a AND b AND ..."""
        node = self.unary()
        while self.peek() and self.peek()[1].upper() in ("AND", "&&"):
            self.take()
            node = ("and", node, self.unary())
        return node

    def unary(self):
        """NOT a, or a."""
        if self.peek() and self.peek()[1].upper() in ("NOT", "!"):
            self.take()
            return ("not", self.unary())
        return self.comparison()

    def comparison(self):
        """a == b (and the other operators), or a lone boolean."""
        left = self.operand()
        item = self.peek()
        if item and item[0] == "op" and item[1] in ("==", "!=", ">=", "<=", ">", "<"):
            self.take()
            return ("cmp", item[1], left, self.operand())
        return ("truthy", left)

    def operand(self):
        """A literal, a field, a call or a parenthesised expression."""
        kind, text = self.take()
        if text == "(":
            node = self.or_expr()
            self.take(")")
            return node
        if kind == "string":
            return ("lit", _ESCAPE.sub(lambda m: m.group(1), text[1:-1]))
        if kind == "number":
            return ("lit", Decimal(text))
        if kind != "name":
            raise QueryError(f"Unexpected '{text}' in where clause")
        lowered = text.lower()
        if lowered in ("true", "false"):
            return ("lit", lowered == "true")
        if lowered == "null":
            return ("lit", None)
        if self.peek() and self.peek()[1] == "(":
            return self.call(text)
        return ("field", text)

    def arguments(self) -> list:
        """A call's (arg, arg, ...) list."""
        self.take("(")
        args = []
        while self.peek() and self.peek()[1] != ")":
            args.append(self.operand())
            if self.peek() and self.peek()[1] == ",":
                self.take()
        self.take(")")
        return args

    def call(self, name: str):
        """Guid(...), DateTime(...), or a string method on a field."""
        args = self.arguments()
        lowered = name.lower()
        if lowered == "guid":
            return ("lit", str(_literal(args[0])).lower())
        if lowered in ("datetime", "datetime.parse"):
            return ("lit", _datetime_literal([_literal(a) for a in args]))
        field, _, method = name.rpartition(".")
        if field and method.lower() in _METHODS:
            return ("method", method.lower(), ("field", field), args)
        raise QueryError(f"No applicable method '{name}' exists in type '{self.entity}'")


def _literal(node):
    """The value of a literal node (functions take literals only)."""
    if node[0] != "lit":
        raise QueryError("Expected a literal value")
    return node[1]


def _datetime_literal(values: list) -> dt.datetime:
    """DateTime(y,m,d[,h,mi,s]) or DateTime.Parse("...") as an aware UTC datetime."""
    try:
        if len(values) == 1 and isinstance(values[0], str):
            return wire.parse_instant(values[0])
        numbers = [int(v) for v in values]
        return dt.datetime(*numbers, tzinfo=dt.timezone.utc)
    except (TypeError, ValueError, wire.BadValue) as exc:
        raise QueryError("Invalid DateTime in where clause") from exc


def _comparable(value):
    """Bring dates to datetimes and numbers to Decimal, so values compare."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    return value


def _evaluate(node, view: dict, entity: str):
    """Evaluate a parsed expression against one record's view."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "field":
        key = node[1].lower()
        if key not in view:
            raise QueryError(f"No property or field '{node[1]}' exists in type '{entity}'")
        return view[key]
    if kind == "and":
        return bool(_evaluate(node[1], view, entity)) and bool(_evaluate(node[2], view, entity))
    if kind == "or":
        return bool(_evaluate(node[1], view, entity)) or bool(_evaluate(node[2], view, entity))
    if kind == "not":
        return not _evaluate(node[1], view, entity)
    if kind == "truthy":
        return bool(_evaluate(node[1], view, entity))
    if kind == "method":
        return _method(node[1], _evaluate(node[2], view, entity),
                       [_evaluate(a, view, entity) for a in node[3]])
    return _compare(node[1], _evaluate(node[2], view, entity), _evaluate(node[3], view, entity))


def _method(name: str, value, args: list):
    """String methods of the expression language."""
    text = "" if value is None else str(value)
    if name == "tolower":
        return text.lower()
    if name == "toupper":
        return text.upper()
    needle = str(args[0]) if args else ""
    return {"contains": needle in text, "startswith": text.startswith(needle),
            "endswith": text.endswith(needle)}[name]


def _compare(op: str, left, right) -> bool:
    """Apply a comparison; string equality is case-sensitive except for GUIDs.

    UNCONFIRMED: whether Xero's `==` on strings ignores case (notes §9).
    """
    left, right = _comparable(left), _comparable(right)
    if isinstance(left, str) and isinstance(right, str) and wire.GUID.match(left) and wire.GUID.match(right):
        left, right = left.lower(), right.lower()
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if left is None or right is None:
        return False
    try:
        return {">=": left >= right, "<=": left <= right, ">": left > right, "<": left < right}[op]
    except TypeError as exc:
        raise QueryError("Operator cannot compare these values") from exc


def where_filter(records: list, view, entity: str) -> list:
    """Keep records matching the request's `where` (view(record) gives the field map)."""
    text = request.args.get("where", "").strip()
    if not text:
        return records
    tree = _Parser(text, entity).parse()
    return [r for r in records if _evaluate(tree, {k.lower(): v for k, v in view(r).items()}, entity)]


def order(records: list, view, default: str) -> list:
    """Sort by the request's `order` ("Field [ASC|DESC], ..."), else by the default field."""
    text = request.args.get("order", "").strip() or default
    views = {id(r): {k.lower(): _comparable(v) for k, v in view(r).items()} for r in records}
    for part in reversed([p.strip() for p in text.split(",") if p.strip()]):
        words = part.split()
        field, descending = words[0].lower(), len(words) > 1 and words[1].upper() == "DESC"

        def key(record, field=field):
            """Sort key: missing values last."""
            value = views[id(record)].get(field)
            return (value is None, value if value is not None else 0)

        try:
            records = sorted(records, key=key, reverse=descending)
        except TypeError as exc:
            raise QueryError(f"Cannot order by '{words[0]}'") from exc
    return records


def modified_since() -> dt.datetime | None:
    """The If-Modified-Since instant (ISO with or without zone, or an HTTP date); None if absent.

    An unreadable value is ignored rather than refused (UNCONFIRMED what Xero does).
    """
    header = request.headers.get("If-Modified-Since", "").strip()
    if not header:
        return None
    try:
        return wire.parse_instant(header)
    except wire.BadValue:
        pass
    try:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(header).astimezone(dt.timezone.utc)
    except (TypeError, ValueError):
        return None


def since_filter(records: list, updated) -> list:
    """Keep records created or modified at or after If-Modified-Since."""
    since = modified_since()
    return records if since is None else [r for r in records if updated(r) >= since]


def id_list(name: str) -> list[str]:
    """A comma-separated query list (IDs, InvoiceNumbers, ...), quotes stripped."""
    raw = ",".join(request.args.getlist(name))
    return [part.strip().strip('"').strip() for part in raw.split(",") if part.strip().strip('"').strip()]


def flag(name: str) -> bool:
    """A true/false query flag."""
    return request.args.get(name, "").strip().lower() == "true"


def paginate(records: list) -> tuple[list, dict]:
    """One page of records and the pagination block (page defaults to 1, size to 100).

    UNCONFIRMED: a pageSize above 1000 is clamped to 1000 rather than refused.
    """
    try:
        page = max(1, int(request.args.get("page", "1")))
        size = int(request.args.get("pageSize", DEFAULT_PAGE_SIZE))
    except ValueError as exc:
        raise QueryError("page and pageSize must be whole numbers") from exc
    size = min(max(1, size), MAX_PAGE_SIZE)
    count = len(records)
    chunk = records[(page - 1) * size: page * size]
    return chunk, {"page": page, "pageSize": size, "pageCount": max(1, math.ceil(count / size)) if count else 0,
                   "itemCount": count}
