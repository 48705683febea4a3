"""bridge.billing.numbering: patterns, yearly sequences, taken numbers skipped, uniqueness."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from bridge.extensions import db
from bridge.billing import numbering
from bridge.billing.entities import first_entity
from bridge.billing.numbering import next_invoice_number, pattern_error, render
from bridge.models import Invoice, NumberSequence
from tests.invoicing import factories

MARCH = dt.date(2026, 3, 1)


@pytest.mark.parametrize("pattern, year, seq, expected", [
    ("{year}-{seq:04}", 2026, 7, "2026-0007"),
    ("{year}-{seq:04}", 2026, 12345, "2026-12345"),
    ("INV-{seq}", 2026, 42, "INV-42"),
    ("{seq:6}/{year}", 2027, 3, "000003/2027"),
    ("B{year}{seq:03}", 2026, 5, "B2026005"),
])
def test_render(pattern, year, seq, expected):
    assert render(pattern, year, seq) == expected


@pytest.mark.parametrize("pattern, ok", [
    ("{year}-{seq:04}", True), ("INV{seq}", True), ("{year}", False), ("{seq}-{month}", False),
    ("{seq:10}", False), ("X" * 60 + "{seq}", False), ("{seq}}", False),
])
def test_pattern_error(pattern, ok):
    assert (pattern_error(pattern) is None) is ok


def commit_number(issue_date=MARCH) -> str:
    """Reserve a number and use it, as creating an invoice does."""
    number = next_invoice_number(first_entity(), issue_date)
    client = db.session.scalar(select(factories.Company)) or factories.company()
    db.session.add(Invoice(number=number, subject="s", client=client, currency="EUR",
                           issue_date=issue_date, due_date=issue_date))
    db.session.commit()
    return number


def test_numbers_follow_each_other_within_a_year(app):
    assert [commit_number() for _ in range(3)] == ["2026-0001", "2026-0002", "2026-0003"]


def test_each_year_has_its_own_sequence(app):
    assert commit_number(dt.date(2026, 12, 31)) == "2026-0001"
    assert commit_number(dt.date(2027, 1, 1)) == "2027-0001"
    assert commit_number(dt.date(2026, 6, 1)) == "2026-0002"


def test_pattern_without_year_keeps_counting_across_years(app):
    first_entity().invoice_number_pattern = "INV-{seq:03}"
    assert commit_number(dt.date(2026, 12, 31)) == "INV-001"
    assert commit_number(dt.date(2027, 1, 1)) == "INV-002"


def test_numbers_already_taken_are_skipped(app):
    client = factories.company()
    for number in ("2026-0001", "2026-0002"):
        factories.add(Invoice(number=number, subject="by hand", client=client, currency="EUR",
                              issue_date=MARCH, due_date=MARCH))
    assert commit_number() == "2026-0003"


def test_many_numbers_are_unique(app):
    numbers = [commit_number() for _ in range(40)]
    assert len(set(numbers)) == 40
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 40


def test_a_rolled_back_reservation_leaves_no_gap(app):
    next_invoice_number(first_entity(), MARCH)
    db.session.rollback()
    assert commit_number() == "2026-0001"


def test_sequence_created_concurrently_does_not_break_the_transaction(app):
    """Another request created the year's row first: ours is refused, the transaction goes on."""
    factories.add(NumberSequence(key="invoice:2026-0000", last_value=4))
    numbering._create_sequence("invoice:2026-0000")  # duplicate key: swallowed inside a savepoint
    assert commit_number() == "2026-0005"
    assert db.session.scalar(select(func.count()).select_from(NumberSequence)) == 1
