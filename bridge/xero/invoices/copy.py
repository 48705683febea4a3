"""Copying an invoice to Xero (create, or update the last copy), exactly once.

    result = copy_invoice(invoice_id, contact_id=..., tax_type="OUTPUT2", status="DRAFT",
                          attempt_key=str(uuid4()), action="create", user_id=1,
                          source_url="https://bridge.example/invoices/7")

The exactly-once frame is bridge.xero.sending.once; the sending and recording of one attempt
(and the recovery of a lost answer) are in bridge.xero.sending.attempt. This module registers
what only an invoice knows: its update, and what follows Xero's answer (number, contact, note, PDF,
the invoice's supporting files: bridge.xero.sending.attachments).

Exactly once: the attempt key (made when the modal opens) is a unique XeroCopy row,
committed as `pending` before Xero is called, and it is the Idempotency-Key sent to Xero.
A second submit with the same key finds the row: a finished attempt answers with its
outcome, one in flight says so, and neither calls Xero again. When Xero's answer is lost
(timeout, 5xx after retries) the row becomes `unknown`; the next try first looks for the
invoice in Xero (its Url carries the attempt key) and re-sends the stored bytes, under the
same key, only when Xero does not have it. Xero's refusals leave the invoice as it was: the
row ends `failed` with Xero's messages, which is history, not a change of the invoice.
"""
from dataclasses import dataclass, replace
from decimal import Decimal
from uuid import UUID

from sqlalchemy import func, select

from bridge.extensions import db
from bridge.billing.service import get_invoice
from bridge.models import Invoice, XeroCopy, XeroDocument, utcnow
from bridge.xero.invoices import mapping
from bridge.xero.invoices import options as copy_options
from bridge.billing.files import Owner
from bridge.xero.sending import activity, attachments, documents, ending, ledger, payloads
from bridge.xero.sending.attempt import CopyResult, DocumentKind, Plan, mark_done, register, result, stored_payload
from bridge.xero.sending.contacts import Contact, link
from bridge.xero.sending.once import CopyRefused, last_done, not_ready_message, resume_of, send_once
from bridge.xero.settings import reference, tracking
from bridge.xero.settings.readiness import readiness, tax_percent, xero_status_label

NOT_COPIED = "This invoice has not been copied to Xero yet: use Copy to Xero."
VOIDED = "This invoice is voided: a voided invoice is not copied to Xero."


@dataclass(frozen=True)
class Decisions:
    """What the person confirmed in the modal before sending."""

    # Xero will book another total than Bridge's (its tax rate): send it anyway.
    accept_difference: bool = False
    # Create new while earlier copies are live in Xero: "end" voids or deletes them first,
    # "keep" leaves them (the client may be billed twice: only with bill_twice).
    earlier: str = ""
    bill_twice: bool = False


def copy_invoice(invoice_id: int, *, contact_id: str, tax_type: str, status: str | None,
                 attempt_key: str, action: str, user_id: int | None,
                 source_url: str, decisions: Decisions = Decisions(),
                 branding_theme_id: str | None = None) -> CopyResult:
    """Create a Xero invoice from ours, or update the last copy, once per attempt_key.

    branding_theme_id: the theme the modal chose ("" for Xero's default; None: the settings').

    LookupError when the invoice does not exist. With a key already used, the other
    arguments are ignored: that attempt is answered (or recovered) as it was made.
    """
    return send_once(attempt_key, action, user_id, lambda key: _plan(
        invoice_id, action, contact_id, tax_type, status, key, source_url, decisions, branding_theme_id))


def resume_copy(invoice_id: int, attempt_key: str, user_id: int | None) -> CopyResult:
    """Check again on an attempt of this invoice: its outcome, or its recovery (LookupError if unknown)."""
    return resume_of(attempt_key, user_id, XeroCopy.invoice_id == invoice_id)


def _plan(invoice_id, action, contact_id, tax_type, status, key, source_url, decisions, theme=None) -> Plan:
    """Check the choices against the settings and the cache; build what will be sent."""
    invoice = get_invoice(invoice_id, full=True)
    if invoice is None:
        raise LookupError(f"No invoice {invoice_id}.")
    ready = readiness(invoice.entity_id)    # the organisation of the invoice's billing entity
    if not ready.ready:
        raise CopyRefused(None, not_ready_message(ready))
    if action not in ("create", "update"):
        raise CopyRefused(None, "Choose Copy to Xero, Update existing or Create new.")
    if invoice.voided:
        raise CopyRefused(None, VOIDED)
    currency = reference.currency_problem(ready.tenant_id, invoice.currency)
    if currency:
        raise CopyRefused(None, currency)
    try:
        contact_id = str(UUID(str(contact_id)))
    except ValueError:
        raise CopyRefused("contact_id", "Pick a Xero contact, or create a new one.") from None
    rate = tax_percent(ready.tenant_id, tax_type or "")
    if rate is None:
        raise CopyRefused("tax_type", "Choose one of Xero's tax rates for sales.")
    settings = ready.settings
    if settings.initial_status == copy_options.MANUAL:
        if status not in payloads.COPY_STATUSES:
            raise CopyRefused("status", "Choose the status the invoice gets in Xero.")
    else:
        status = settings.initial_status
    target = None
    if action == "update":
        last = last_done(invoice_id)
        if last is None:
            raise CopyRefused(None, NOT_COPIED)
        if last.tenant_id != ready.tenant_id:
            raise CopyRefused(None, "The last copy is in another Xero organisation than the one "
                              "connected now: create a new copy instead.")
        target = last.xero_id
    url = payloads.attempt_url(source_url, key) if action == "create" else None
    choices = copy_options.choices(settings, contact_id=contact_id, tax_type=tax_type,
                                   tax_rate=Decimal(rate), status=status, url=url, invoice=invoice)
    if theme is not None:
        choices = replace(choices, branding_theme_id=theme or None)
    problem = tracking.theme_problem(ready.tenant_id, choices.branding_theme_id)
    if problem:
        raise CopyRefused("branding_theme_id", problem)
    problem = mapping.tracking_refusal(invoice, choices)
    if problem:
        raise CopyRefused(None, problem)
    _check_difference(invoice, choices, decisions)
    ending = _earlier_to_end(invoice, ready.tenant_id, choices, decisions) if action == "create" else ()
    payload = mapping.invoice_payload(invoice, choices) if action == "create" else None
    return Plan(ready.tenant_id, invoice_id, action, choices, payload, target,
                copy_options.note_for(invoice_id, settings), ending=ending)


def _check_difference(invoice: Invoice, choices: mapping.CopyChoices, decisions: Decisions) -> None:
    """Xero's total differs from Bridge's: only when the person confirmed both totals."""
    found = mapping.preview(invoice, choices)
    if found.differs and not decisions.accept_difference:
        raise CopyRefused("accept_difference", difference_message(invoice.currency, found)
                          + " Tick the box to confirm it, or choose another tax rate.")


def difference_message(currency: str, found: mapping.Preview) -> str:
    """Both totals in words, as the confirmation names them."""
    return (f"Xero will book {currency} {found.totals.total:,.2f}, Bridge's invoice says "
            f"{currency} {found.bridge_totals.total:,.2f}.")


def _earlier_to_end(invoice: Invoice, tenant_id: str, choices: mapping.CopyChoices,
                    decisions: Decisions) -> tuple[str, ...]:
    """Create new with earlier copies live in Xero: the ones to void or delete first, or
    nothing when the person keeps them (only allowed where Xero will not refuse the number)."""
    earlier = [row for row in ledger.live_copies(Invoice, invoice.id) if row.tenant_id == tenant_id]
    if not earlier:
        return ()
    blocked = [row for row in earlier if ending.how_to_end(row) is None]
    if decisions.earlier == "end":
        if blocked:
            raise CopyRefused("earlier", ending.why_not(blocked[0]))
        return tuple(row.xero_id for row in earlier)
    if choices.send_number:
        raise CopyRefused("earlier", same_number_message(invoice.number, earlier, blocked))
    if decisions.earlier == "keep" and decisions.bill_twice:
        return ()
    raise CopyRefused("earlier", "An earlier copy is still live in Xero: void or delete it in the "
                      "same action, or confirm that the client may be billed twice.")


def same_number_message(number: str, earlier: list, blocked: list) -> str:
    """Why a second copy carrying the same number cannot be sent, and the way through."""
    if blocked:
        return (f"Xero refuses a second invoice numbered {number}. " + ending.why_not(blocked[0]))
    return (f"Xero refuses a second invoice numbered {number} while the earlier copy is live: "
            "choose to void or delete it in the same action.")

def update_invoice_payload(plan: Plan, current: dict) -> dict:
    """The update of the Xero invoice `current` from our invoice as it is now."""
    return mapping.update_payload(get_invoice(plan.invoice_id, full=True), plan.choices, current)


def finish_invoice(row: XeroCopy, element: dict, user_id: int | None, operation: str) -> CopyResult:
    """Xero has the invoice: record it, take Xero's number, link the contact, then note and PDF."""
    row_id = row.id
    invoice = db.session.get(Invoice, row.invoice_id)
    ours = invoice.number
    mark_done(row, element)
    contact = element.get("Contact") or {}
    if contact.get("ContactID"):
        link(invoice.client_id, Contact(str(contact["ContactID"]), contact.get("Name") or invoice.client.name))
    notes = after_copy(invoice, row)
    verb = "Copied" if row.action == "create" else "Updated the copy of"
    activity.record(operation, "ok", f"{verb} invoice {ours} as {row.xero_number} "
                    f"({xero_status_label(row.xero_status)}) in Xero.", tenant_id=row.tenant_id, user_id=user_id,
                    invoice_id=row.invoice_id, request=row.payload, response=element)
    db.session.commit()
    notes += documents.add_note(row_id, user_id)
    settings = readiness(invoice.entity_id).settings
    if settings is not None and settings.pdfs_by == "xero":
        notes += documents.store_pdf(row_id, user_id)
    row = db.session.get(XeroCopy, row_id)
    notes += attachments.upload_files(Owner(invoice_id=row.invoice_id), row.tenant_id, row.xero_id, user_id)
    return result(db.session.get(XeroCopy, row_id), tuple(notes))


def upload_invoice_files(invoice_id: int, user_id: int | None) -> list[str]:
    """Retry: the invoice's files its last copy in Xero lacks, uploaded now (what did not go)."""
    row = last_done(invoice_id)
    if row is None:
        return [NOT_COPIED]
    return attachments.upload_files(Owner(invoice_id=invoice_id), row.tenant_id, row.xero_id, user_id)


def after_copy(invoice: Invoice, row: XeroCopy) -> list[str]:
    """Bridge's invoice after a successful copy or update: copied now; a draft copied as
    Submitted or Approved is sent; a draft's first copy without our number takes Xero's.
    Create new never renames an invoice. What to tell the person, if anything."""
    invoice.copied_at = utcnow()
    if invoice.status == "draft" and row.xero_status in ("SUBMITTED", "AUTHORISED"):
        invoice.status = "sent"
    first = db.session.scalar(select(func.count(XeroDocument.id)).where(
        XeroDocument.invoice_id == invoice.id)) <= 1
    if row.action == "create" and first and "InvoiceNumber" not in (stored_payload(row.payload) or {}):
        return adopt_number(invoice, row.xero_number)
    return []


def adopt_number(invoice: Invoice, number: str | None) -> list[str]:
    """Show Xero's number as the invoice's (Xero numbers); keep ours if another invoice has it."""
    if not number or number == invoice.number:
        return []
    taken = db.session.scalar(select(Invoice.id).where(Invoice.number == number, Invoice.id != invoice.id))
    if taken is not None or len(number) > Invoice.number.type.length:
        return [f"Xero numbered it {number}, but Bridge cannot show that number (another invoice "
                f"has it, or it is too long): this invoice stays {invoice.number} in Bridge."]
    invoice.number = number
    return []


register(DocumentKind("invoice", update_payload=update_invoice_payload, finish=finish_invoice))
