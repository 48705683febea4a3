"""Property tests of the Xero mapping: for any quantities, unit prices, discounts and tax
rates Bridge can store, the totals the copy modal shows (mapping.preview) are Xero's own,
computed here independently with exact fractions from XERO_API_NOTES.md §8 (each line
rounded half-up to the cent, tax per line on the rounded amount, then summed), and the
payload sends every number at a precision Xero keeps without re-rounding it. A few
examples also go to the sandbox, whose booked totals must be the same."""
from datetime import date
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

from hypothesis import given, settings, strategies as st

import bridge.invoicing  # noqa: F401  (first: mapping imports totals from this package, which imports mapping)
from bridge.xero.invoices import mapping
from bridge.xero.api import wire
from tests.xero.test_integration_sandbox_accounting import northwind  # noqa: F401  (fixture)

# The columns' ranges (bridge/models/types.py): Quantity 4 dp, Money 2 dp, Percent 4 dp;
# kept to lines whose amount fits the Money column.
quantities = st.decimals(min_value=0, max_value=Decimal("999999.9999"), places=4)
prices = st.decimals(min_value=0, max_value=Decimal("999999.99"), places=2)
percents = st.decimals(min_value=0, max_value=100, places=4)
lines = st.lists(st.tuples(quantities, prices, percents), min_size=1, max_size=6)


def xero_cents(amount: Fraction) -> Decimal:
    """Round an exact non-negative amount half-up to the cent."""
    cents = (amount * 100 + Fraction(1, 2)).__floor__()
    return Decimal(cents).scaleb(-2)


def xero_totals(raw_lines, tax_percent: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """SubTotal, TotalTax, Total as Xero books them (Exclusive amounts, DiscountRate)."""
    sub_total = total_tax = Decimal("0")
    for quantity, price, discount in raw_lines:
        line_amount = xero_cents(Fraction(quantity) * Fraction(price) * (1 - Fraction(discount) / 100))
        sub_total += line_amount
        total_tax += xero_cents(Fraction(line_amount) * Fraction(tax_percent) / 100)
    return sub_total, total_tax, sub_total + total_tax


def invoice_of(raw_lines):
    return SimpleNamespace(
        number="INV-1", subject="Work", purchase_order_number=None, currency="NZD",
        issue_date=date(2026, 3, 2), due_date=date(2026, 4, 1),
        subtotal=Decimal("0"), tax_total=Decimal("0"), total=Decimal("0"),
        lines=[SimpleNamespace(description=f"Line {i}", quantity=q, unit_price=p, discount_percent=d,
                               service_type_id=None) for i, (q, p, d) in enumerate(raw_lines)],
    )


def choices(contact_id="c", tax_type="OUTPUT2", tax_percent=Decimal("15")):
    return mapping.CopyChoices(contact_id=contact_id, tax_type=tax_type, tax_percent=tax_percent,
                               status="DRAFT", default_account="200")


@settings(max_examples=300)
@given(raw_lines=lines, tax_percent=percents)
def test_preview_totals_are_xeros_per_line_rounding(raw_lines, tax_percent):
    preview = mapping.preview(invoice_of(raw_lines), choices(tax_percent=tax_percent))
    totals = preview.totals
    assert (totals.subtotal, totals.tax_total, totals.total) == xero_totals(raw_lines, tax_percent)


@settings(max_examples=200)
@given(raw_lines=lines)
def test_the_payload_sends_numbers_xero_keeps_as_they_are(raw_lines):
    payload = mapping.invoice_payload(invoice_of(raw_lines), choices())
    decoded = wire.decode(wire.encode(payload))  # the bytes that go to Xero, read back
    for item, (quantity, price, discount) in zip(decoded["LineItems"], raw_lines):
        # Xero keeps Quantity to 4 dp and UnitAmount to 2 dp (no unitdp=4 is asked for).
        assert Decimal(item["Quantity"]) == quantity and -Decimal(item["Quantity"]).as_tuple().exponent <= 4
        assert Decimal(item["UnitAmount"]) == price and -Decimal(item["UnitAmount"]).as_tuple().exponent <= 2
        assert Decimal(item.get("DiscountRate", 0)) == discount


@settings(max_examples=12)
@given(raw_lines=st.lists(st.tuples(quantities, prices, percents), min_size=1, max_size=3),
       tax=st.sampled_from([("OUTPUT2", Decimal("15")), ("NONE", Decimal("0"))]))
def test_the_sandbox_books_the_totals_the_preview_showed(nz, northwind, raw_lines, tax):
    copy = choices(northwind["ContactID"], *tax)
    invoice = invoice_of(raw_lines)
    payload = mapping.invoice_payload(invoice, copy)
    del payload["InvoiceNumber"]  # Xero numbers it: examples never collide
    (booked,) = nz.create_invoices([payload])
    preview = mapping.preview(invoice, copy).totals
    assert (booked["SubTotal"], booked["TotalTax"], booked["Total"]) == (
        preview.subtotal, preview.tax_total, preview.total)
