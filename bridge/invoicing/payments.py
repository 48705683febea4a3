"""Payment status of invoices and expenses, derived from their live (not deleted) payments."""
from decimal import Decimal

from bridge.models import ZERO


def payment_status(total: Decimal, paid: Decimal) -> str:
    """unpaid, partially_paid or paid for a document of `total` with `paid` received."""
    if paid <= ZERO:
        return "unpaid"
    if paid < total:
        return "partially_paid"
    return "paid"


def refresh_payment_status(document, total: Decimal) -> None:
    """Recompute amount_paid and payment_status of an Invoice or Expense from its payments."""
    paid = sum((p.amount for p in document.payments if p.deleted_at is None), ZERO)
    document.amount_paid = paid
    document.payment_status = payment_status(total, paid)
