"""Payments: create, list (deleted ones included), get, and delete by Status only.

A payment is made on an invoice or bill, or, as a cash refund of credit, on a credit note
(`CreditNote: {CreditNoteID}` in the body, spec schema Payment; PaymentType ARCREDITPAYMENT or
APCREDITPAYMENT, notes §13.1, §13.5): it lowers the note's RemainingCredit, which is PAID at 0.
record_payment and delete_payment are also what the sandbox's own UI and the control
API call, so a payment made "in Xero" goes through the same rules as one made by API.
"""
import datetime as dt
from decimal import Decimal

from flask import g
from sqlalchemy.orm import selectinload

from bridge.xero_sandbox import clock, wire
from bridge.xero_sandbox.accounting import batch, body_json, bp, documents, history, query
from bridge.xero_sandbox.accounting import validation as v
from bridge.xero_sandbox.accounting.invoices import find
from bridge.xero_sandbox.accounting.serialize import invoice_loading, payment_json
from bridge.xero_sandbox.db import Account, Invoice, Organisation, Payment, db, new_id

PAYMENT_TYPES = {"ACCREC": "ACCRECPAYMENT", "ACCPAY": "ACCPAYPAYMENT",
                 "ACCRECCREDIT": "ARCREDITPAYMENT", "ACCPAYCREDIT": "APCREDITPAYMENT"}
CREDIT_NOTE_TYPES = ("ACCRECCREDIT", "ACCPAYCREDIT")
# UNCONFIRMED wordings (no Xero source found for these cases).
ACCOUNT_CANNOT_PAY = "Account type is invalid for making a payment to/from"
ONLY_DELETE = "A payment can only be updated to Status DELETED."
ALREADY_DELETED = "This payment has already been deleted."
NOT_SUPPORTED = "Payments on prepayments and overpayments are not supported by the sandbox."


def payment_view(payment: Payment) -> dict:
    """Fields a `where`/`order` on Payments may name."""
    invoice = payment.invoice
    return {
        "PaymentID": payment.id, "PaymentType": payment.payment_type, "Status": payment.status,
        "Date": payment.date, "Amount": payment.amount, "Reference": payment.reference,
        "IsReconciled": payment.is_reconciled, "UpdatedDateUTC": payment.updated_utc,
        "Invoice.InvoiceID": invoice.id, "Invoice.InvoiceNumber": invoice.number,
        "Invoice.Type": invoice.type, "Invoice.Contact.ContactID": invoice.contact_id,
        "CreditNote.CreditNoteID": invoice.id if invoice.is_credit_note else None,
        "CreditNote.CreditNoteNumber": invoice.number if invoice.is_credit_note else None,
        "Account.AccountID": payment.account_id, "Account.Code": payment.account.code,
    }


def payment_account(org_id: str, sent) -> tuple[Account | None, str | None]:
    """The account a payment is paid into or out of: BANK or payments-enabled, active."""
    sent = sent if isinstance(sent, dict) else {}
    chart = v.accounts(org_id)
    if sent.get("AccountID"):
        found = next((a for a in chart if a.id == str(sent["AccountID"]).lower()), None)
    else:
        found = next((a for a in chart if a.code == str(sent.get("Code") or "")), None)
    if found is None or found.status != "ACTIVE":
        return None, v.ACCOUNT_INVALID.format(code=sent.get("Code") or sent.get("AccountID") or "")
    if found.type != "BANK" and not found.enable_payments:
        return None, ACCOUNT_CANNOT_PAY
    return found, None


def payment_problems(invoice: Invoice | None, amount: Decimal) -> list[str]:
    """Why a payment of this amount cannot be applied to this document."""
    if invoice is None:
        return [v.DOCUMENT_NOT_FOUND]
    if invoice.status != "AUTHORISED":
        return [v.PAYMENT_NOT_AUTHORISED]
    if amount <= 0:
        return [v.PAYMENT_AMOUNT]
    if wire.money(amount) > invoice.amount_due:
        return [v.PAYMENT_TOO_BIG]
    return []


def record_payment(org: Organisation, invoice: Invoice, account: Account, amount: Decimal,
                   day: dt.date, reference: str, source: str) -> Payment:
    """Apply a checked payment to an invoice or bill and commit it."""
    now = clock.now()
    payment = Payment(id=new_id(), org_id=org.id, amount=wire.money(amount), date=day,
                      reference=reference or "", status="AUTHORISED", source=source,
                      currency_rate=invoice.currency_rate, payment_type=PAYMENT_TYPES[invoice.type],
                      created_utc=now, updated_utc=now, invoice=invoice, account=account)
    db.session.add(payment)
    documents.settle(invoice, day)
    invoice.updated_utc = now  # the invoice moves together with its payment (notes §3.6)
    if invoice.is_credit_note:
        verb = "paid to" if invoice.type == "ACCRECCREDIT" else "received from"
        history.record(invoice.id, org.id, "Credit Refunded",
                       f"Refund {verb} {invoice.contact.name} on {day.isoformat()} for {payment.amount}.")
    else:
        verb = "received from" if invoice.type == "ACCREC" else "made to"
        history.record(invoice.id, org.id, "Payment Received" if invoice.type == "ACCREC" else "Payment Made",
                       f"Payment {verb} {invoice.contact.name} on {day.isoformat()} for {payment.amount}.")
    db.session.commit()
    return payment


def delete_payment(payment: Payment) -> list[str]:
    """Reverse a payment (Xero keeps it, as DELETED); the invoice is settled again."""
    if payment.status == "DELETED":
        return [ALREADY_DELETED]
    now = clock.now()
    payment.status = "DELETED"
    payment.updated_utc = now
    invoice = payment.invoice
    documents.settle(invoice)
    invoice.updated_utc = now
    history.record(invoice.id, payment.org_id, "Payment Removed",
                   f"Payment of {payment.amount} on {payment.date.isoformat()} was removed.")
    db.session.commit()
    return []


def _target(element: dict) -> Invoice | None:
    """The document a payment element pays: a credit note (CreditNote {CreditNoteID or
    CreditNoteNumber}, or CreditNoteNumber, as the spec's Payment schema has them) or an
    invoice or bill (Invoice {InvoiceID or InvoiceNumber}, or InvoiceNumber)."""
    sent_note = element.get("CreditNote") if isinstance(element.get("CreditNote"), dict) else {}
    ident = sent_note.get("CreditNoteID") or sent_note.get("CreditNoteNumber") or element.get("CreditNoteNumber")
    if ident or element.get("CreditNote"):
        return find(g.org.id, str(ident), CREDIT_NOTE_TYPES) if ident else None
    sent_invoice = element.get("Invoice") if isinstance(element.get("Invoice"), dict) else {}
    ident = sent_invoice.get("InvoiceID") or sent_invoice.get("InvoiceNumber") or element.get("InvoiceNumber")
    return find(g.org.id, str(ident)) if ident else None


def _create(element: dict) -> batch.Result:
    """Create one payment (or refund of credit) from an API element."""
    if element.get("Prepayment") or element.get("Overpayment"):
        return batch.failed(dict(element), [NOT_SUPPORTED], flag="HasValidationErrors")
    invoice = _target(element)
    account, account_problem = payment_account(g.org.id, element.get("Account"))
    amount = wire.to_decimal(element.get("Amount", 0), "Amount")
    day = wire.parse_day(element["Date"]) if element.get("Date") else clock.now().date()
    errors = payment_problems(invoice, amount) + ([account_problem] if account_problem else [])
    if not errors:
        payment = record_payment(g.org, invoice, account, amount, day,
                                 str(element.get("Reference") or ""), source="api")
        return batch.Result(payment_json(payment))
    body = dict(element)
    body.update({"PaymentID": new_id(), "Amount": wire.money(amount), "Date": wire.msdate_day(day),
                 "Status": "AUTHORISED"})
    return batch.failed(body, errors, flag="HasValidationErrors")


@bp.put("/Payments")
def create_payments():
    """Create payments (batched, summarizeErrors supported)."""
    return batch.run("Payments", _create)


@bp.post("/Payments")
def create_payment():
    """Create a payment (a single object, or a Payments array)."""
    return batch.run("Payments", _create, allow_bare=True)


@bp.get("/Payments")
def list_payments():
    """Payments, DELETED ones included, with If-Modified-Since, where, order and paging."""
    records = list(db.session.scalars(db.select(Payment).filter_by(org_id=g.org.id).options(
        selectinload(Payment.account), selectinload(Payment.invoice))))
    records = query.since_filter(records, lambda p: p.updated_utc)
    records = query.where_filter(records, payment_view, "Payment")
    records = query.order(records, payment_view, "UpdatedDateUTC ASC")
    page, pagination = query.paginate(records)
    # Only the page's invoices need their lines, payments and credits.
    db.session.scalars(db.select(Invoice).where(Invoice.id.in_({p.invoice_id for p in page}))
                       .options(*invoice_loading())).all()
    return wire.ok("Payments", [payment_json(p) for p in page], pagination)


def _payment(payment_id: str) -> Payment | None:
    """A payment of the current organisation by id."""
    found = db.session.get(Payment, payment_id.lower())
    return found if found is not None and found.org_id == g.org.id else None


@bp.get("/Payments/<payment_id>")
def get_payment(payment_id):
    """One payment with its invoice."""
    payment = _payment(payment_id)
    if payment is None:
        return wire.not_found()
    return wire.ok("Payments", [payment_json(payment)])


@bp.post("/Payments/<payment_id>")
def update_payment(payment_id):
    """Delete a payment: the body may only carry Status (bare or in a Payments array)."""
    payment = _payment(payment_id)
    if payment is None:
        return wire.not_found()
    data = body_json()
    element = data["Payments"][0] if isinstance(data.get("Payments"), list) and data["Payments"] else data
    wrapped_extra = isinstance(data.get("Payments"), list) and (len(data) > 1 or len(data["Payments"]) != 1)
    errors = []
    if wrapped_extra or not isinstance(element, dict) or set(element) != {"Status"}:
        errors = [v.ONLY_STATUS]
    elif str(element["Status"]).upper() != "DELETED":
        errors = [ONLY_DELETE]
    else:
        errors = delete_payment(payment)
    body = payment_json(payment)
    if errors:
        return batch.respond("Payments", [batch.failed(body, errors, flag="HasValidationErrors")])
    return wire.ok("Payments", [body])
