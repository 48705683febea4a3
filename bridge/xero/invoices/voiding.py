"""Voiding or deleting a Bridge invoice together with its live copies in Xero, in one action.

    plan = plan_end(invoice_id)        # what happens to the invoice and to each live copy
    outcome = end_invoice(invoice_id, attempt_key=key, user_id=1)
    outcome = end_invoice(invoice_id, attempt_key=key, user_id=1, bridge_only=True)

A draft invoice (with no payments recorded) is deleted, any other is voided. Each live copy
is deleted in Xero when it is DRAFT or SUBMITTED and voided when AUTHORISED with nothing
applied (XERO_API_NOTES.md §10.3 and §19), through bridge.xero.sending.ending: one keyed call
per copy, recorded before it is sent, a lost answer looked up in Xero rather than repeated.
Bridge changes the invoice only after Xero answered for every copy. When Xero cannot (money
applied, a lock date, another organisation) nothing changes in Bridge unless the person
confirms a Bridge-only void, which leaves every copy in Xero as it is.
"""
from dataclasses import dataclass, field

from bridge.billing import files
from bridge.billing.service import delete_invoice, get_invoice, void_invoice
from bridge.extensions import db
from bridge.models import ZERO, Invoice, XeroDocument
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroError
from bridge.xero.sending import activity, ending, ledger
from bridge.xero.sending.explain import Detail, Refusal
from bridge.xero.settings.readiness import readiness

ALREADY_VOIDED = "This invoice is already voided."
ENDED = {"void": "voided", "delete": "deleted"}


@dataclass(frozen=True)
class CopyFate:
    """One live copy and what the action does to it: "void", "delete", or None (Xero cannot)."""

    document: XeroDocument
    action: str | None
    why_not: str | None = None


@dataclass(frozen=True)
class EndPlan:
    """The invoice, whether it is deleted or voided, and the fate of each live copy."""

    invoice: Invoice
    action: str  # "delete" or "void"
    copies: list[CopyFate] = field(default_factory=list)

    @property
    def blocked(self) -> list[CopyFate]:
        """The copies Xero cannot end: the action can only be a Bridge-only void."""
        return [fate for fate in self.copies if fate.action is None]


@dataclass(frozen=True)
class Outcome:
    """Done (the invoice was voided or deleted), or why not: nothing changed in Bridge then."""

    action: str
    number: str
    done: bool
    refusal: Refusal | None = None
    bridge_only: bool = False


def plan_end(invoice_id: int) -> EndPlan:
    """What voiding or deleting the invoice does; LookupError when there is no such invoice."""
    invoice = get_invoice(invoice_id, full=True)
    if invoice is None:
        raise LookupError(f"No invoice {invoice_id}.")
    # A draft is deleted; payments recorded against it, or credit notes of it, are history, so
    # it is voided instead.
    action = "delete" if invoice.status == "draft" and not invoice.payments and not invoice.credit_notes else "void"
    if invoice.status == "voided":
        return EndPlan(invoice, "void")
    ready = readiness(invoice.entity_id)
    fates = []
    for document in ledger.live_copies(Invoice, invoice_id):
        if not ready.connected or document.tenant_id != ready.tenant_id:
            fates.append(CopyFate(document, None, _unreachable(document, ready.connected)))
            continue
        how = ending.how_to_end(document)
        fates.append(CopyFate(document, how, None if how else why_not(document)))
    return EndPlan(invoice, action, fates)


def why_not(document: XeroDocument) -> str:
    """Why Xero cannot end this copy of an invoice being voided, in words (and what can be done)."""
    number = document.number or "without a number"
    if document.status == "PAID" or (document.amount_paid or ZERO) > ZERO:
        return (f"The copy {number} has payments in Xero, so Xero cannot void it: refund or credit it "
                "in Xero, or void the invoice in Bridge only.")
    if (document.amount_credited or ZERO) > ZERO:
        return (f"The copy {number} has credit applied in Xero, so Xero cannot void it: remove the credit "
                "in Xero first, or void the invoice in Bridge only.")
    return f"The copy {number} is {document.status} in Xero, so Bridge cannot end it."


def _unreachable(document: XeroDocument, connected: bool) -> str:
    number = document.number or "without a number"
    if connected:
        return (f"The copy {number} is in another Xero organisation than the one connected now, "
                "so Bridge cannot end it.")
    return f"Xero is not connected (or needs reconnecting), so Bridge cannot end the copy {number}."


def end_invoice(invoice_id: int, *, attempt_key: str, user_id: int | None,
                bridge_only: bool = False) -> Outcome:
    """Void or delete the invoice with its live copies, each copy ended in Xero exactly once
    under a key derived from attempt_key; bridge_only voids it in Bridge alone.

    LookupError when the invoice does not exist (a delete already done is one).
    """
    plan = plan_end(invoice_id)
    invoice = plan.invoice
    if invoice.status == "voided":
        return Outcome("void", invoice.number, True)
    if bridge_only:
        return _void_in_bridge_only(plan, user_id)
    if plan.blocked:
        reasons = " ".join(fate.why_not for fate in plan.blocked)
        return Outcome(plan.action, invoice.number, False, Refusal(
            "locked", f"{reasons} Nothing was changed, in Xero or in Bridge."))
    reason = f"with invoice {invoice.number}, {'deleted' if plan.action == 'delete' else 'voided'} in Bridge"
    for fate in plan.copies:
        document = fate.document
        problem = ending.end_copy(document.tenant_id, document.xero_id,
                                  ending.ending_key(attempt_key, document.xero_id), user_id,
                                  reason=reason, unchanged="nothing changed in Bridge")
        if problem is not None:
            if problem.kind != "unavailable":
                _read_again(document.tenant_id, document.xero_id, invoice_id)
                # Xero's messages verbatim, without the copy modal's hints ("create a new copy").
                number = document.number or "without a number"
                problem = Refusal(problem.kind, f"Xero did not end the copy {number}, so nothing changed in "
                                  "Bridge.", tuple(Detail(d.message, None) for d in problem.details))
            return Outcome(plan.action, invoice.number, False, problem)
    return _finish(invoice_id, plan.action, plan.copies, user_id)


def _finish(invoice_id: int, action: str, fates: list[CopyFate], user_id: int | None) -> Outcome:
    """Every copy has ended in Xero: void or delete the invoice in Bridge, with a log entry."""
    invoice = db.session.get(Invoice, invoice_id)
    number = invoice.number
    ended = "; in Xero " + ", ".join(
        f"{fate.document.number or 'a copy without a number'} was {ENDED[fate.action]}" for fate in fates) if fates else ""
    verb = "Deleted" if action == "delete" else "Voided"
    tenant = readiness(invoice.entity_id).tenant_id
    if action == "delete":
        activity.record("delete_invoice", "ok", f"{verb} invoice {number} in Bridge{ended}.",
                        tenant_id=tenant, user_id=user_id, invoice_id=None)
        stored = delete_invoice(invoice)
    else:
        stored = []
        void_invoice(invoice)
        activity.record("void_invoice", "ok", f"{verb} invoice {number} in Bridge{ended}.",
                        tenant_id=tenant, user_id=user_id, invoice_id=invoice_id)
    db.session.commit()
    files.unlink_all(stored)
    return Outcome(action, number, True)


def _void_in_bridge_only(plan: EndPlan, user_id: int | None) -> Outcome:
    """The person confirmed: voided in Bridge, every copy left in Xero as it is (logged)."""
    invoice = plan.invoice
    kept = ", ".join(f"{f.document.number or 'without a number'} ({f.document.status})" for f in plan.copies)
    summary = f"Voided invoice {invoice.number} in Bridge only" + (
        f"; its copies stay in Xero as they are: {kept}." if kept else ".")
    void_invoice(invoice)
    activity.record("void_invoice", "ok", summary, tenant_id=readiness(invoice.entity_id).tenant_id,
                    user_id=user_id, invoice_id=invoice.id)
    db.session.commit()
    return Outcome("void", invoice.number, True, bridge_only=True)


def _read_again(tenant_id: str, xero_id: str, invoice_id: int) -> None:
    """After Xero refused to end a copy, read it so the dialog shows why (money applied...)."""
    try:
        with XeroClient(tenant_id) as client:
            element = client.get_invoice(xero_id)
    except XeroError:
        return  # the refusal stands on its own; the sync reads it later
    ledger.record(tenant_id, element, invoice_id=invoice_id)
    ledger.summarise(Invoice, {invoice_id})
    db.session.commit()
