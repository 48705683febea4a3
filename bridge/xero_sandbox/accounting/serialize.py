"""PascalCase JSON for the Accounting records, shaped like the spec's examples."""
from decimal import Decimal
from urllib.parse import quote

from flask import request
from sqlalchemy.orm import selectinload

from bridge.xero_sandbox import wire
from bridge.xero_sandbox.db import (
    Account, Allocation, Attachment, Contact, Invoice, LineItem, Payment, TaxRate,
)


def _rate(value: Decimal) -> Decimal:
    """A currency rate with six places, as Xero writes it."""
    return wire.places(value, 6)


def _dated(body: dict, key: str, day, string_key: str | None = None) -> None:
    """Set a date field (and its *String companion) when the date exists."""
    if day is None:
        return
    if string_key:
        body[string_key] = wire.day_string(day)
    body[key] = wire.msdate_day(day)


def _updated(body: dict, instant) -> None:
    """Set UpdatedDateUTC and its string companion."""
    body["UpdatedDateUTC"] = wire.msdate(instant)
    body["UpdatedDateUTCString"] = wire.utc_string(instant)


def account_json(account: Account) -> dict:
    """An Account as GET /Accounts returns it."""
    body = {
        "AccountID": account.id, "Code": account.code, "Name": account.name,
        "Status": account.status, "Type": account.type, "TaxType": account.tax_type,
        "Description": account.description, "Class": account.account_class,
        "EnablePaymentsToAccount": account.enable_payments, "ShowInExpenseClaims": False,
        "ReportingCode": account.reporting_code, "HasAttachments": False,
        "UpdatedDateUTC": wire.msdate(account.updated_utc), "AddToWatchlist": False,
    }
    if account.system_account:
        body["SystemAccount"] = account.system_account
    if account.type == "BANK":
        body["BankAccountNumber"] = account.bank_account_number or ""
        body["BankAccountType"] = account.bank_account_type or "BANK"
        body["CurrencyCode"] = account.currency_code
    return body


def tax_rate_json(rate: TaxRate) -> dict:
    """A TaxRate with its single component."""
    percent = wire.places(rate.rate, 4)
    return {
        "Name": rate.name, "TaxType": rate.tax_type, "ReportTaxType": rate.report_tax_type,
        "CanApplyToAssets": rate.can_assets, "CanApplyToEquity": rate.can_equity,
        "CanApplyToExpenses": rate.can_expenses, "CanApplyToLiabilities": rate.can_liabilities,
        "CanApplyToRevenue": rate.can_revenue, "DisplayTaxRate": percent, "EffectiveRate": percent,
        "Status": rate.status,
        "TaxComponents": [{"Name": "GST", "Rate": percent, "IsCompound": False, "IsNonRecoverable": False}],
    }


def contact_json(contact: Contact, summary: bool = False) -> dict:
    """A Contact; extra sent fields (addresses, phones, ...) round-trip."""
    body = {
        "ContactID": contact.id, "ContactStatus": contact.status, "Name": contact.name,
        "FirstName": contact.first_name, "LastName": contact.last_name,
        "EmailAddress": contact.email, "ContactNumber": contact.contact_number,
        "AccountNumber": contact.account_number, "TaxNumber": contact.tax_number,
        "BankAccountDetails": "",
        "Addresses": [], "Phones": [], "ContactGroups": [], "ContactPersons": [],
        "IsSupplier": contact.is_supplier, "IsCustomer": contact.is_customer,
        "UpdatedDateUTC": wire.msdate(contact.updated_utc),
        "HasAttachments": False, "HasValidationErrors": False,
    }
    if contact.default_currency:
        body["DefaultCurrency"] = contact.default_currency
    if not summary:
        body.update(contact.extra or {})
    return body


def contact_ref(contact: Contact) -> dict:
    """The contact as embedded in documents."""
    return {
        "ContactID": contact.id, "ContactStatus": contact.status, "Name": contact.name,
        "ContactNumber": contact.contact_number, "EmailAddress": contact.email,
        "Addresses": [], "Phones": [], "ContactGroups": [], "ContactPersons": [],
        "HasValidationErrors": False,
    }


def line_json(line: LineItem, unitdp: int = 2) -> dict:
    """A line item with Xero's precisions (Quantity 4 dp, UnitAmount 2 or 4 dp)."""
    body = {
        "LineItemID": line.id, "Description": line.description,
        "Quantity": wire.places(line.quantity, 4), "UnitAmount": wire.places(line.unit_amount, unitdp),
        "TaxType": line.tax_type or "NONE", "TaxAmount": wire.money(line.tax_amount),
        "LineAmount": wire.money(line.line_amount), "Tracking": line.tracking or [],
        "ValidationErrors": [],
    }
    if line.account_code:
        body["AccountCode"] = line.account_code
    if line.account_id:
        body["AccountID"] = line.account_id
    if line.item_code:
        body["ItemCode"] = line.item_code
    if line.discount_rate is not None:
        body["DiscountRate"] = wire.places(line.discount_rate, 2)
    if line.discount_amount is not None:
        body["DiscountAmount"] = wire.money(line.discount_amount)
    return body


def slim_payment(payment: Payment) -> dict:
    """A payment as listed inside its invoice (notes §13.2)."""
    return {
        "PaymentID": payment.id, "Date": wire.msdate_day(payment.date),
        "Amount": wire.money(payment.amount), "Reference": payment.reference,
        "CurrencyRate": _rate(payment.currency_rate), "HasAccount": True, "HasValidationErrors": False,
    }


def live_allocations(document: Invoice, as_credit_note: bool) -> list[Allocation]:
    """Allocations touching a document (as the credit note, or as the invoice credited)."""
    allocations = document.credits_out if as_credit_note else document.credits_in
    return [a for a in allocations if not a.is_deleted]


def invoice_loading() -> list:
    """Eager-load options so serialising a page of documents takes a few queries, not hundreds."""
    return [selectinload(Invoice.lines), selectinload(Invoice.contact), selectinload(Invoice.payments),
            selectinload(Invoice.attachments),
            selectinload(Invoice.credits_in).selectinload(Allocation.credit_note),
            selectinload(Invoice.credits_out).selectinload(Allocation.invoice)]


def _credit_notes_applied(invoice: Invoice) -> list[dict]:
    """Credit notes applied to an invoice, one entry per credit note."""
    applied: dict[str, dict] = {}
    for allocation in live_allocations(invoice, as_credit_note=False):
        note = allocation.credit_note
        entry = applied.setdefault(note.id, {
            "CreditNoteID": note.id, "CreditNoteNumber": note.number, "Type": note.type,
            "Date": wire.msdate_day(allocation.date), "DateString": wire.day_string(allocation.date),
            "Total": wire.money(note.total), "AppliedAmount": Decimal("0.00"),
            "LineItems": [], "HasErrors": False,
        })
        entry["AppliedAmount"] = wire.money(entry["AppliedAmount"] + allocation.amount)
    return list(applied.values())


def _document_common(doc: Invoice, unitdp: int, summary: bool) -> dict:
    """Fields invoices and credit notes share."""
    body = {"Type": doc.type}
    body["Contact"] = contact_ref(doc.contact) if doc.contact else {}
    _dated(body, "Date", doc.date, "DateString")
    _dated(body, "DueDate", doc.due_date, "DueDateString")
    body.update({
        "Status": doc.status, "LineAmountTypes": doc.line_amount_types,
        "LineItems": [] if summary else [line_json(line, unitdp) for line in doc.lines],
        "SubTotal": wire.money(doc.sub_total), "TotalTax": wire.money(doc.total_tax),
        "Total": wire.money(doc.total), "CurrencyCode": doc.currency_code,
        "CurrencyRate": _rate(doc.currency_rate), "HasAttachments": bool(doc.attachments),
        "HasErrors": False,
    })
    if doc.updated_utc is not None:
        _updated(body, doc.updated_utc)
    if doc.status == "PAID":
        _dated(body, "FullyPaidOnDate", doc.fully_paid_on)
    if doc.branding_theme_id:
        body["BrandingThemeID"] = doc.branding_theme_id
    return body


def attachment_json(doc: Invoice, attachment: Attachment) -> dict:
    """An attachment as the spec's Attachment schema has it; its Url is on the sandbox's host.
    IncludeOnline is written only when true, as in the spec's examples."""
    collection = "CreditNotes" if doc.is_credit_note else "Invoices"
    body = {
        "AttachmentID": attachment.id, "FileName": attachment.file_name,
        "Url": f"{request.host_url}api.xro/2.0/{collection}/{doc.id}/Attachments/"
               f"{quote(attachment.file_name, safe='')}",
        "MimeType": attachment.mime_type, "ContentLength": attachment.content_length,
    }
    if attachment.include_online:
        body["IncludeOnline"] = True
    return body


def invoice_json(invoice: Invoice, unitdp: int = 2, summary: bool = False, single: bool = False) -> dict:
    """An invoice or bill, with payments and credit notes applied; a single GET also lists its
    attachments (the spec's Invoice.Attachments, as in its getInvoice example)."""
    body = _document_common(invoice, unitdp, summary)
    body["InvoiceID"] = invoice.id
    body["InvoiceNumber"] = invoice.number
    if invoice.type == "ACCREC":
        body["Reference"] = invoice.reference
        body["SentToContact"] = invoice.sent_to_contact
    live = [p for p in invoice.payments if p.status == "AUTHORISED"]
    body.update({
        "Payments": [] if summary else [slim_payment(p) for p in live],
        "CreditNotes": [] if summary else _credit_notes_applied(invoice),
        "Prepayments": [], "Overpayments": [],
        "AmountDue": wire.money(invoice.amount_due), "AmountPaid": wire.money(invoice.amount_paid),
        "AmountCredited": wire.money(invoice.amount_credited),
        "IsDiscounted": invoice.total_discount > 0,
    })
    if invoice.total_discount > 0:
        body["TotalDiscount"] = wire.money(invoice.total_discount)
    if invoice.url:
        body["Url"] = invoice.url
    if single and invoice.attachments:
        body["Attachments"] = [attachment_json(invoice, a) for a in invoice.attachments]
    return body


def credit_note_json(note: Invoice, unitdp: int = 2, single: bool = False) -> dict:
    """A credit note with its allocations, refunds and remaining credit (spec schema CreditNote;
    its getCreditNote example also lists Attachments, so a single GET does)."""
    body = _document_common(note, unitdp, summary=False)
    body["CreditNoteID"] = note.id
    body["CreditNoteNumber"] = note.number
    body["Reference"] = note.reference
    body["RemainingCredit"] = wire.money(note.amount_due)
    body["Allocations"] = [{
        "AllocationID": a.id, "Amount": wire.money(a.amount), "Date": wire.msdate_day(a.date),
        "Invoice": {"InvoiceID": a.invoice.id, "InvoiceNumber": a.invoice.number,
                    "Payments": [], "CreditNotes": [], "Prepayments": [], "Overpayments": [],
                    "HasErrors": False, "IsDiscounted": False, "LineItems": []},
    } for a in live_allocations(note, as_credit_note=True)]
    # Cash refunds of the credit, slim as in the spec's getCreditNotes example.
    body["Payments"] = [slim_payment(p) for p in note.payments if p.status == "AUTHORISED"]
    if single and note.attachments:
        body["Attachments"] = [attachment_json(note, a) for a in note.attachments]
    return body


def _credit_note_ref(note: Invoice) -> dict:
    """The credit note a refund pays out, under the Payment schema's CreditNote property."""
    return {"CreditNoteID": note.id, "CreditNoteNumber": note.number, "Type": note.type,
            "Contact": contact_ref(note.contact), "Status": note.status,
            "Total": wire.money(note.total), "RemainingCredit": wire.money(note.amount_due),
            "CurrencyCode": note.currency_code, "LineItems": [], "HasErrors": False}


def payment_json(payment: Payment) -> dict:
    """A payment with its account and invoice (or credit note, for a refund)."""
    body = {
        "PaymentID": payment.id, "Date": wire.msdate_day(payment.date),
        "BankAmount": wire.money(payment.amount), "Amount": wire.money(payment.amount),
        "Reference": payment.reference, "CurrencyRate": _rate(payment.currency_rate),
        "PaymentType": payment.payment_type, "Status": payment.status,
        "UpdatedDateUTC": wire.msdate(payment.updated_utc),
        "UpdatedDateUTCString": wire.utc_string(payment.updated_utc),
        "HasAccount": True, "IsReconciled": payment.is_reconciled,
        "Account": {"AccountID": payment.account.id, "Code": payment.account.code,
                    "Name": payment.account.name},
        "Invoice": invoice_json(payment.invoice),
        "HasValidationErrors": False,
    }
    if payment.invoice.is_credit_note:
        # A refund of credit: the spec's examples (getPayments, deletePayment) show the credit
        # note under Invoice (Type ACCRECCREDIT/ACCPAYCREDIT, InvoiceID = the CreditNoteID); its
        # Payment schema also has CreditNote, which the SDKs read. Both are answered.
        body["CreditNote"] = _credit_note_ref(payment.invoice)
    return body
