"""Invoice numbers from the billing entity's pattern, e.g. {year}-{seq:04} -> 2026-0001, and
credit notes' from its own pattern, e.g. CN-{year}-{seq:04} -> CN-2026-0001.

Numbers are unique across the workspace: two entities with the same pattern share its
sequence (each number is used once), so entities are given patterns of their own."""
import datetime as dt
import re

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bridge.extensions import db
from bridge.models import BillingEntity, CreditNote, Invoice, NumberSequence

DEFAULT_PATTERN = "{year}-{seq:04}"
DEFAULT_CREDIT_NOTE_PATTERN = "CN-{year}-{seq:04}"
_PLACEHOLDER = re.compile(r"\{(year|seq)(?::0?([0-9]))?\}")
# What an invoice number may hold around the placeholders: it is shown, printed, put in file
# names and sent to Xero, so no markup, spaces or quotes.
_LITERAL = re.compile(r"[A-Za-z0-9/._-]*")


def pattern_error(pattern: str) -> str | None:
    """Why a pattern is unusable, or None when it is fine."""
    if "{seq" not in pattern:
        return "The pattern must contain {seq} (or {seq:04} to pad to four digits)."
    leftover = _PLACEHOLDER.sub("", pattern)
    if "{" in leftover or "}" in leftover:
        return "Only {year} and {seq} (optionally {seq:04}) may appear in braces."
    if not _LITERAL.fullmatch(leftover):
        return "Use only letters A-Z, digits, - / . _ and {year}, {seq} or {seq:04}."
    if len(render(pattern, 2026, 1)) > 60:
        return "The pattern makes numbers longer than 60 characters."
    return None


def render(pattern: str, year: int, seq: int) -> str:
    def replace(match: re.Match) -> str:
        value = year if match.group(1) == "year" else seq
        width = int(match.group(2) or 0)
        return str(value).zfill(width)

    return _PLACEHOLDER.sub(replace, pattern)


def next_invoice_number(entity: BillingEntity, issue_date: dt.date | None = None) -> str:
    """Reserve the entity's next free number in this transaction (commit with the invoice).

    The sequence row is bumped with an UPDATE, which locks it until commit, so two
    requests never get the same number; numbers already taken by hand are skipped.
    """
    return _next_number("invoice", entity.invoice_number_pattern or DEFAULT_PATTERN, Invoice, issue_date)


def next_credit_note_number(entity: BillingEntity, issue_date: dt.date | None = None) -> str:
    """Reserve the entity's next free credit note number (its own pattern and sequence), as for invoices."""
    pattern = entity.credit_note_number_pattern or DEFAULT_CREDIT_NOTE_PATTERN
    return _next_number("credit_note", pattern, CreditNote, issue_date)


def _next_number(prefix: str, pattern: str, model, issue_date: dt.date | None) -> str:
    year = (issue_date or dt.date.today()).year
    key = f"{prefix}:{render(pattern, year, 0)}" if "{year}" in pattern else f"{prefix}:{pattern}"
    if db.session.scalar(select(NumberSequence).where(NumberSequence.key == key)) is None:
        _create_sequence(key)
    while True:
        db.session.execute(
            update(NumberSequence)
            .where(NumberSequence.key == key)
            .values(last_value=NumberSequence.last_value + 1)
        )
        seq = db.session.scalar(select(NumberSequence.last_value).where(NumberSequence.key == key))
        number = render(pattern, year, seq)
        if db.session.scalar(select(model.id).where(model.number == number)) is None:
            return number


def _create_sequence(key: str) -> None:
    """Add the sequence row; if a concurrent request added it first, use theirs.

    The savepoint keeps a duplicate-key failure from aborting the caller's transaction
    (on PostgreSQL a failed statement would otherwise poison everything after it).
    """
    try:
        with db.session.begin_nested():
            db.session.add(NumberSequence(key=key, last_value=0))
    except IntegrityError:
        pass
