"""bridge.billing.totals: Decimal arithmetic, per-line rounding half-up."""
from decimal import Decimal

import pytest

from bridge.billing.totals import InvoiceTotals, LineAmounts, apply_totals, line_amounts, sum_lines, to_cents
from bridge.models import Invoice, InvoiceLine, TaxRate

D = Decimal


@pytest.mark.parametrize("value, cents", [
    ("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("1.115", "1.12"), ("10", "10.00"),
])
def test_to_cents_rounds_half_up(value, cents):
    assert to_cents(D(value)) == D(cents)
    assert str(to_cents(D(value))) == cents


def test_line_without_discount_or_tax():
    assert line_amounts(D("2"), D("10.05"), D("0"), None) == LineAmounts(net=D("20.10"), tax=D("0.00"))


def test_line_with_tax_rounds_tax_half_up():
    # 20.10 x 7.5 % = 1.5075 -> 1.51
    assert line_amounts(D("2"), D("10.05"), D("0"), D("7.5")).tax == D("1.51")


def test_line_net_rounds_half_up_not_bankers():
    # 0.5 x 0.01 = 0.005: half-up gives 0.01 (banker's rounding would give 0.00).
    assert line_amounts(D("0.5"), D("0.01"), D("0"), None).net == D("0.01")


@pytest.mark.parametrize("discount, net", [("0", "99.99"), ("10", "89.99"), ("100", "0.00"), ("12.5", "87.49")])
def test_discount_applies_before_rounding(discount, net):
    # 3 x 33.33 = 99.99; 10 % off = 89.991 -> 89.99; 12.5 % off = 87.49125 -> 87.49
    assert line_amounts(D("3"), D("33.33"), D(discount), None).net == D(net)


def test_tax_is_computed_on_the_discounted_net():
    amounts = line_amounts(D("1"), D("200"), D("25"), D("20"))
    assert amounts == LineAmounts(net=D("150.00"), tax=D("30.00"))


def test_tax_is_rounded_per_line_then_summed():
    # Each line: 0.10 x 25 % = 0.025 -> 0.03; per invoice it would have been 0.05.
    lines = [line_amounts(D("1"), D("0.10"), D("0"), D("25")) for _ in range(2)]
    assert sum_lines(lines) == InvoiceTotals(subtotal=D("0.20"), tax_total=D("0.06"), total=D("0.26"))


def test_results_are_decimals_with_two_places():
    amounts = line_amounts(D("1.3333"), D("7.77"), D("3.5"), D("19"))
    totals = sum_lines([amounts])
    for value in (amounts.net, amounts.tax, totals.subtotal, totals.tax_total, totals.total):
        assert isinstance(value, Decimal)
        assert value.as_tuple().exponent == -2


def test_no_lines_sum_to_zero():
    assert sum_lines([]) == InvoiceTotals(D("0.00"), D("0.00"), D("0.00"))


def test_apply_totals_sets_lines_and_invoice():
    vat = TaxRate(name="VAT", percentage=D("20"))
    invoice = Invoice(lines=[
        InvoiceLine(quantity=D("2"), unit_price=D("10.05"), discount_percent=D("0"), tax_rate=vat),
        InvoiceLine(quantity=D("1"), unit_price=D("5.00"), discount_percent=None, tax_rate=None),
    ])
    totals = apply_totals(invoice)
    assert [(line.net_amount, line.tax_amount) for line in invoice.lines] == [
        (D("20.10"), D("4.02")), (D("5.00"), D("0.00"))
    ]
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (D("25.10"), D("4.02"), D("29.12"))
    assert totals.total == D("29.12")
