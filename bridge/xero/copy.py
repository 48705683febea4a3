"""Copying an invoice to Xero (create, or update the last copy), exactly once.

    result = copy_invoice(invoice_id, contact_id=..., tax_type="OUTPUT2", status="DRAFT",
                          attempt_key=str(uuid4()), action="create", user_id=1,
                          source_url="https://bridge.example/invoices/7")

The sending and recording of one attempt (and the recovery of a lost answer) are in
bridge.xero.copy_attempt.

Exactly once: the attempt key (made when the modal opens) is a unique XeroCopy row,
committed as `pending` before Xero is called, and it is the Idempotency-Key sent to Xero.
A second submit with the same key finds the row: a finished attempt answers with its
outcome, one in flight says so, and neither calls Xero again. When Xero's answer is lost
(timeout, 5xx after retries) the row becomes `unknown`; the next try first looks for the
invoice in Xero (its Url carries the attempt key) and re-sends the stored bytes, under the
same key, only when Xero does not have it. Xero's refusals leave the invoice as it was: the
row ends `failed` with Xero's messages, which is history, not a change of the invoice.
"""
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bridge.extensions import db
from bridge.invoicing.service import get_invoice
from bridge.models import XeroCopy, utcnow
from bridge.xero import copy_attempt, copy_options, mapping
from bridge.xero.copy_attempt import CopyResult, Plan, attempt, resume
from bridge.xero.explain import Refusal

__all__ = ["CopyRefused", "CopyResult", "NOT_COPIED", "copy_invoice", "not_ready_message", "pending_row",
           "resume_copy", "resume_of", "send_once", "start", "valid_key"]

NOT_COPIED = "This invoice has not been copied to Xero yet: use Copy to Xero."
STALE_WINDOW = "This window is out of date: close it and open Copy to Xero again."


class CopyRefused(Exception):
    """Input the copy cannot start with; nothing was recorded or sent."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field, self.message = field, message

    def result(self, action: str) -> CopyResult:
        """The attempt's answer: refused for bad input."""
        return CopyResult("refused", action, field=self.field, refusal=Refusal("bad_input", self.message))


def copy_invoice(invoice_id: int, *, contact_id: str, tax_type: str, status: str | None,
                 attempt_key: str, action: str, user_id: int | None,
                 source_url: str) -> CopyResult:
    """Create a Xero invoice from ours, or update the last copy, once per attempt_key.

    LookupError when the invoice does not exist. With a key already used, the other
    arguments are ignored: that attempt is answered (or recovered) as it was made.
    """
    return send_once(attempt_key, action, user_id, lambda key: _plan(
        invoice_id, action, contact_id, tax_type, status, key, source_url))


def resume_copy(invoice_id: int, attempt_key: str, user_id: int | None) -> CopyResult:
    """Check again on an attempt of this invoice: its outcome, or its recovery (LookupError if unknown)."""
    return resume_of(attempt_key, user_id, XeroCopy.invoice_id == invoice_id)


def send_once(attempt_key: str, action: str, user_id: int | None, plan_for: Callable[[str], Plan],
              stale: str = STALE_WINDOW) -> CopyResult:
    """The exactly-once frame of a copy (an invoice's, or an expense's bill): a key seen before
    is answered from its row; otherwise plan_for(key) builds the Plan (CopyRefused: bad input),
    its row is committed as pending, and then Xero is called."""
    key, plan = start(attempt_key, action, user_id, plan_for, stale)
    if isinstance(plan, CopyResult):
        return plan
    row = pending_row(plan, key, user_id)
    try:
        db.session.commit()
    except IntegrityError:
        # The same attempt arrived twice at once: the other request owns it.
        db.session.rollback()
        return resume(db.session.scalar(select(XeroCopy).where(XeroCopy.attempt_key == key)), user_id)
    return attempt(row.id, user_id, plan)


def start(attempt_key: str, action: str, user_id: int | None, plan_for: Callable[[str], Plan],
          stale: str = STALE_WINDOW) -> tuple[str, CopyResult | Plan]:
    """Before anything is recorded: (the key as stored, and the Plan to send), or the answer
    instead of a Plan: a key seen before answers from its row, bad input is refused."""
    try:
        key = valid_key(attempt_key, stale)
        row = db.session.scalar(select(XeroCopy).where(XeroCopy.attempt_key == key))
        if row is not None:
            return key, resume(row, user_id)
        return key, plan_for(key)
    except CopyRefused as refused:
        return attempt_key, refused.result(action)


def resume_of(attempt_key: str, user_id: int | None, of_document) -> CopyResult:
    """Check again on an attempt of one document (of_document: a condition on XeroCopy)."""
    try:
        key = valid_key(attempt_key)
    except CopyRefused:
        raise LookupError("no such copy attempt") from None
    row = db.session.scalar(select(XeroCopy).where(XeroCopy.attempt_key == key, of_document))
    if row is None:
        raise LookupError("no such copy attempt")
    return resume(row, user_id)


def pending_row(plan: Plan, key: str, user_id: int | None) -> XeroCopy:
    """The attempt's row, added to the session as pending (the caller commits it)."""
    row = XeroCopy(
        invoice_id=plan.invoice_id, expense_id=plan.expense_id, tenant_id=plan.tenant_id,
        attempt_key=key, action=plan.action, state="pending", xero_id=plan.target,
        xero_contact_id=plan.choices.contact_id, payload=copy_attempt.as_text(plan.payload),
        attempted_at=utcnow(), created_by_id=user_id, note_text=plan.note,
    )
    db.session.add(row)
    return row


def valid_key(value: str, stale: str = STALE_WINDOW) -> str:
    """An attempt key as stored (a UUID), or CopyRefused with `stale` (what to do instead)."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        raise CopyRefused("attempt_key", stale) from None


def _plan(invoice_id, action, contact_id, tax_type, status, key, source_url) -> Plan:
    """Check the choices against the settings and the cache; build what will be sent."""
    ready = copy_options.readiness()
    if not ready.ready:
        raise CopyRefused(None, not_ready_message(ready))
    invoice = get_invoice(invoice_id, full=True)
    if invoice is None:
        raise LookupError(f"No invoice {invoice_id}.")
    if action not in ("create", "update"):
        raise CopyRefused(None, "Choose Copy to Xero, Update existing or Create new.")
    try:
        contact_id = str(UUID(str(contact_id)))
    except ValueError:
        raise CopyRefused("contact_id", "Pick a Xero contact, or create a new one.") from None
    rate = copy_options.tax_percent(ready.tenant_id, tax_type or "")
    if rate is None:
        raise CopyRefused("tax_type", "Choose one of Xero's tax rates for sales.")
    settings = ready.settings
    if settings.initial_status == copy_options.MANUAL:
        if status not in mapping.COPY_STATUSES:
            raise CopyRefused("status", "Choose the status the invoice gets in Xero.")
    else:
        status = settings.initial_status
    target = None
    if action == "update":
        last = copy_options.last_done(invoice_id)
        if last is None:
            raise CopyRefused(None, NOT_COPIED)
        if last.tenant_id != ready.tenant_id:
            raise CopyRefused(None, "The last copy is in another Xero organisation than the one "
                              "connected now: create a new copy instead.")
        target = last.xero_id
    url = mapping.attempt_url(source_url, key) if action == "create" else None
    choices = copy_options.choices(settings, contact_id=contact_id, tax_type=tax_type,
                                   tax_rate=Decimal(rate), status=status, url=url)
    payload = mapping.invoice_payload(invoice, choices) if action == "create" else None
    return Plan(ready.tenant_id, invoice_id, action, choices, payload, target,
                copy_options.note_for(invoice_id, settings))


def not_ready_message(ready: copy_options.Readiness) -> str:
    """Why nothing can be copied now."""
    if ready.needs_reconnect:
        return ("Xero no longer accepts Bridge's access to this organisation. An admin must "
                "reconnect Xero in Settings > App Marketplace.")
    if not ready.connected:
        return "Xero is not connected. An admin can connect it in Settings > App Marketplace."
    return "The Xero setup is not finished. An admin can finish it in Settings > App Marketplace > Xero."


