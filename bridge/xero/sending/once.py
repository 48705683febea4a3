"""The exactly-once frame of sending one document to Xero (an invoice's copy, an expense's
bill): the attempt key is a unique XeroCopy row, committed as `pending` before Xero is called
and sent as the Idempotency-Key; a key seen before is answered from its row (bridge.xero.
invoices.copy explains the design, bridge.xero.sending.attempt sends and recovers).

Callers pass what is theirs (a plan_for function that builds the Plan), so this module
never imports a kind of document.
"""
from collections.abc import Callable
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bridge.extensions import db
from bridge.models import SENDING_ACTIONS, BillingEntity, XeroCopy, utcnow
from bridge.xero.sending import ending
from bridge.xero.sending.attempt import CopyResult, Plan, as_text, attempt, refuse, resume
from bridge.xero.sending.explain import Refusal
from bridge.xero.settings.readiness import Readiness

STALE_WINDOW = "This window is out of date: close it and open Copy to Xero again."


class CopyRefused(Exception):
    """Input the copy cannot start with; nothing was recorded or sent."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field, self.message = field, message

    def result(self, action: str) -> CopyResult:
        """The attempt's answer: refused for bad input."""
        return CopyResult("refused", action, field=self.field, refusal=Refusal("bad_input", self.message))


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
    if plan.ending:
        problem = ending.end_first(plan, key, user_id)
        if problem is not None:
            return refuse(row.id, problem, user_id)
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
        invoice_id=plan.invoice_id, expense_id=plan.expense_id, credit_note_id=plan.credit_note_id,
        tenant_id=plan.tenant_id,
        attempt_key=key, action=plan.action, state="pending", xero_id=plan.target,
        xero_contact_id=plan.choices.contact_id, payload=as_text(plan.payload),
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


def not_ready_message(ready: Readiness) -> str:
    """Why nothing can be copied now (naming the billing entity when the workspace has several)."""
    whose = _whose(ready.entity_id)
    if ready.needs_reconnect:
        return (f"Xero no longer accepts Bridge's access to this organisation{whose}. An admin must "
                "reconnect Xero in Settings > App Marketplace.")
    if not ready.connected:
        return f"Xero is not connected{whose}. An admin can connect it in Settings > App Marketplace."
    return f"The Xero setup{whose} is not finished. An admin can finish it in Settings > App Marketplace > Xero."


def _whose(entity_id: int | None) -> str:
    """" for <entity>" when there are several billing entities (one entity never says)."""
    if entity_id is None or db.session.scalar(select(func.count(BillingEntity.id))) < 2:
        return ""
    entity = db.session.get(BillingEntity, entity_id)
    return f" for {entity.name}" if entity is not None else ""


def last_done(invoice_id: int) -> XeroCopy | None:
    """The newest successful copy or update of an invoice."""
    return db.session.scalar(select(XeroCopy).where(
        XeroCopy.invoice_id == invoice_id, XeroCopy.state == "done",
        XeroCopy.action.in_(SENDING_ACTIONS))
        .order_by(XeroCopy.completed_at.desc(), XeroCopy.id.desc()).limit(1))
