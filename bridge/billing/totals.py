"""Invoice arithmetic in Decimal: each line's net and tax rounded to cents, then summed.

This is also how Xero computes totals (per-line rounding), so copies agree to the cent.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal


def line_amounts(
    quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_percent: Decimal | None
) -> LineAmounts:
    """Net after discount, and the tax on that net, each rounded half-up to the cent."""
    gross = quantity * unit_price
    net = to_cents(gross * (HUNDRED - discount_percent) / HUNDRED)
    tax = to_cents(net * (tax_percent or Decimal("0")) / HUNDRED)
    return LineAmounts(net=net, tax=tax)


def sum_lines(lines: list[LineAmounts]) -> InvoiceTotals:
    subtotal = sum((line.net for line in lines), Decimal("0.00"))
    tax_total = sum((line.tax for line in lines), Decimal("0.00"))
    return InvoiceTotals(subtotal=subtotal, tax_total=tax_total, total=subtotal + tax_total)


def apply_totals(invoice) -> InvoiceTotals:
    """Set each line's net/tax and the invoice's totals from its lines (models.Invoice)."""
    amounts = []
    for line in invoice.lines:
        tax_percent = line.tax_rate.percentage if line.tax_rate is not None else None
        amount = line_amounts(line.quantity, line.unit_price, line.discount_percent or Decimal("0"), tax_percent)
        line.net_amount, line.tax_amount = amount.net, amount.tax
        amounts.append(amount)
    totals = sum_lines(amounts)
    invoice.subtotal, invoice.tax_total, invoice.total = totals.subtotal, totals.tax_total, totals.total
    return totals
