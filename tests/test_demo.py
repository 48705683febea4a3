"""The demo workspace seeds once, into an empty database only."""
from decimal import Decimal

from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import (
    Budget, Company, CustomField, Expense, BillingEntity, Invoice, ServiceType, TaxRate, TaxRateMapping, User,
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_creates_a_realistic_workspace_and_prints_the_password_once(runner, app):
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    password = result.output.split("Password (shown once, keep it): ")[1].strip()
    admin = db.session.scalar(select(User))
    assert admin.role == "admin" and admin.check_password(password)
    assert count(Company) == 9 and count(Invoice) == 24 and count(Budget) == 3 and count(Expense) == 6
    assert {s.name for s in db.session.scalars(select(ServiceType))} == {
        "Design", "Development", "Strategy", "Project management", "Copywriting", "Hosting"}
    assert count(TaxRate) == 2
    # Mapped to the Xero NZ tax types of the same percentage (tests/copy/test_demo_copies.py copies them).
    assert {(m.tax_rate_id, m.xero_tax_type) for m in db.session.scalars(select(TaxRateMapping))} == {
        (r.id, "OUTPUT2" if r.percentage == 15 else "ZERORATED") for r in db.session.scalars(select(TaxRate))}
    agency = db.session.get(BillingEntity, 1)
    assert agency.name == "Harbour & Pine Studio" and agency.bank_details and agency.payment_terms
    # A second entity in Australia (for the sandbox's Demo Company (AU), which takes AUD): two
    # clients of its own and four invoices numbered its own way.
    au = db.session.scalar(select(BillingEntity).filter_by(name="Harbour & Pine Pty Ltd"))
    assert (au.base_currency, au.invoice_number_pattern, au.credit_note_number_pattern) == (
        "AUD", "AU-{year}-{seq:04}", "AU-CN-{year}-{seq:04}")
    assert {c.name for c in db.session.scalars(select(Company).filter_by(default_entity_id=au.id))} == {
        "Brindle & Finch Pty Ltd", "Saltbush Foods Pty Ltd"}
    au_invoices = db.session.scalars(select(Invoice).filter_by(entity_id=au.id)).all()
    assert len(au_invoices) == 4 and all(i.number.startswith("AU-") and i.currency == "AUD" for i in au_invoices)
    assert all(i.client.default_entity_id == au.id for i in au_invoices)
    assert count(BillingEntity) == 2 and all(not i.number.startswith("AU-") for i in db.session.scalars(
        select(Invoice).filter_by(entity_id=agency.id)))
    assert db.session.scalar(select(CustomField).filter_by(name="Private note for the accountant"))
    invoices = db.session.scalars(select(Invoice)).all()
    assert {i.status for i in invoices} == {"draft", "sent"}
    assert {i.payment_status for i in invoices} == {"unpaid", "partially_paid", "paid"}
    for invoice in invoices:
        assert invoice.total == sum((l.net_amount + l.tax_amount for l in invoice.lines), Decimal("0"))
    assert len({i.number for i in invoices}) == 24


def test_seed_twice_changes_nothing(runner, app):
    runner.invoke(args=["demo", "seed", "--if-empty"])
    second = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert second.exit_code == 0
    assert "Password" not in second.output
    assert count(User) == 1 and count(Invoice) == 24


def test_seed_refuses_a_non_empty_database_without_the_flag(runner, users):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert count(Invoice) == 0
