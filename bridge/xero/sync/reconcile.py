"""Reconcile on demand: every copied invoice or expense whose figures in Bridge and in Xero
differ, with the reason in words and what resolves it.

    for item in reconcile.differences():           # every connected organisation, no Xero call
        item.label, item.reasons, item.unexplained

Why a separate reading of the ledger: once a document is copied Xero is the ledger, so a
finance team needs one place that says where the two systems disagree and whether Bridge
knows why. It reads only Bridge's database (the XeroDocument rows the copies and the
payment sync keep, the payments mirrored from Xero): a reconciliation that called Xero could
not be run on demand by many people, and "Sync now" is the action that refreshes what it reads.

A difference is one of: Bridge's own total against Xero's (the newest live copy's), what is
paid, what is due, or whether it is settled. Each known reason explains some of them; those
no reason explains make the document unexplained (the CLI exits non-zero on them).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from bridge.billing.credit_notes import credit_notes_of, unsent_credit
from bridge.extensions import db
from bridge.formatting import day, money, status_label
from bridge.models import ZERO, Expense, Invoice, Payment, XeroDocument
from bridge.xero.settings import setup
from bridge.xero.settings.readiness import xero_status_label

# What resolves a reason; the page turns each into a link or a button, the CLI into words.
UPDATE, CREATE, SYNC, VOID, VOID_NEWER, RECORD, LOOK, SETTLE_IN_XERO = (
    "update", "create", "sync", "void", "void_newer", "record", "look", "settle_in_xero")
ACTION_WORDS = {
    UPDATE: "Update existing",
    CREATE: "Create new, if it should still be billed (or nothing)",
    SYNC: "Sync now",
    VOID: "Void one of the copies in Xero",
    VOID_NEWER: "Void the newest copy in Xero, if the client pays the earlier one",
    RECORD: "Record the payment in Xero too, or remove it from Bridge",
    LOOK: "Look at it in Bridge and in Xero",
    SETTLE_IN_XERO: "Credit, refund or void it in Xero",
}
# The differences a reason can explain.
TOTAL, PAID, DUE, SETTLED, CONTENT = "total", "paid", "due", "settled", "content"
DIFFERENCE_WORDS = {TOTAL: "the total", PAID: "the amount paid", DUE: "the amount due",
                    SETTLED: "whether it is paid", CONTENT: "what the invoice says"}


@dataclass(frozen=True)
class Reason:
    """One known cause, in words, with the action that resolves it."""

    words: str
    action: str
    explains: frozenset[str]
    # The Xero copy it is about (its InvoiceID), for a link into Xero.
    xero_id: str | None = None

    @property
    def action_words(self) -> str:
        return ACTION_WORDS[self.action]


@dataclass(frozen=True)
class Figures:
    """Amounts as one side holds them."""

    total: Decimal | None
    paid: Decimal
    due: Decimal
    status: str
    number: str | None = None


@dataclass
class Item:
    """A copied document whose Bridge and Xero figures differ."""

    kind: str  # "invoice" or "expense"
    document_id: int
    label: str
    currency: str
    bridge: Figures
    xero: Figures
    live_copies: int
    differences: list[str]
    reasons: list[Reason] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)

    @property
    def explained(self) -> bool:
        return not self.unexplained

    def line(self) -> str:
        """One line for the terminal: the document, each reason and its action, what is unexplained."""
        parts = [f"{reason.words} → {reason.action_words}" for reason in self.reasons]
        if self.unexplained:
            parts.append("UNEXPLAINED: " + "; ".join(self.unexplained) + f" → {ACTION_WORDS[LOOK]}")
        return f"{self.kind.capitalize()} {self.label}: " + " | ".join(parts)


@dataclass
class _Document:
    """What reconciling one invoice or expense reads: it, its copies, its payments."""

    document: Invoice | Expense
    copies: list[XeroDocument]
    payments: list[Payment]


def differences(tenant_id: str | None = None) -> list[Item]:
    """The copied documents of the organisation (by default every connected one: each billing
    entity's, in the order of the entities) whose figures differ, invoices first then expenses,
    each in the order it was copied."""
    tenants = [tenant_id] if tenant_id is not None else [row.tenant_id for row in setup.connections()]
    items = []
    for tenant in tenants:
        for model in (Invoice, Expense):
            for found in _read(model, tenant):
                item = _compare(found)
                if item is not None:
                    items.append(item)
    return items


def _read(model, tenant_id: str) -> list[_Document]:
    """Every document of this kind with a copy in the organisation, in three queries."""
    column = XeroDocument.invoice_id if model is Invoice else XeroDocument.expense_id
    copied = select(column).where(XeroDocument.tenant_id == tenant_id, column.is_not(None))
    copies = defaultdict(list)
    for row in db.session.scalars(select(XeroDocument).where(
            XeroDocument.tenant_id == tenant_id, column.is_not(None)).order_by(XeroDocument.id)):
        copies[getattr(row, column.key)].append(row)
    owner = Payment.invoice_id if model is Invoice else Payment.expense_id
    payments = defaultdict(list)
    for payment in db.session.scalars(select(Payment).where(
            owner.in_(copied), Payment.deleted_at.is_(None)).order_by(Payment.id)):
        payments[getattr(payment, owner.key)].append(payment)
    documents = db.session.scalars(select(model).where(model.id.in_(copied)).order_by(model.id))
    return [_Document(d, copies[d.id], payments[d.id]) for d in documents]


def _sum(values) -> Decimal:
    return sum((v or ZERO for v in values), ZERO)


def _compare(found: _Document) -> Item | None:
    """The document's item when Bridge and Xero disagree, None when they agree."""
    document, copies = found.document, found.copies
    live = [row for row in copies if row.live]
    newest = live[-1] if live else copies[-1]
    is_invoice = isinstance(document, Invoice)
    voided = is_invoice and document.voided
    if voided and not live:
        return None  # voided in Bridge with every copy ended in Xero: both say nothing is owed
    own_total = document.total if is_invoice else document.amount
    bridge = Figures(own_total, document.amount_paid, document.amount_due,
                     status_label("voided" if voided else document.payment_status))
    xero = Figures(newest.total if live else None, _sum(r.amount_paid for r in live),
                   _sum(r.amount_due for r in live), xero_status_label(newest.status), newest.number)
    found_differences = _differences(document, own_total, newest if live else None, bridge, xero, live)
    stale = _summary_stale(document, live, newest)
    if not found_differences and not stale:
        return None
    item = Item("invoice" if is_invoice else "expense", document.id,
                document.number if is_invoice else document.description, document.currency,
                bridge, xero, len(live), found_differences)
    item.reasons = _reasons(found, live, newest)
    explained = set().union(*(reason.explains for reason in item.reasons))
    item.unexplained = [f"{DIFFERENCE_WORDS[d]} differs" for d in found_differences if d not in explained]
    item.unexplained += stale
    return item


def _differences(document, own_total, newest, bridge: Figures, xero: Figures, live) -> list[str]:
    """Which of total, paid, due and settled differ between the two sides."""
    found = []
    # An expense's amount is before tax, as its bill's subtotal is.
    xero_own = None if newest is None else (newest.total if isinstance(document, Invoice) else newest.sub_total)
    if xero_own != own_total:
        found.append(TOTAL)
    if isinstance(document, Invoice) and document.changed_since_copied and newest is not None:
        found.append(CONTENT)
    if bridge.paid != xero.paid:
        found.append(PAID)
    if bridge.due != xero.due:
        found.append(DUE)
    settled_in_xero = bool(live) and all(row.status == "PAID" or (row.amount_due or ZERO) <= ZERO for row in live)
    if (document.payment_status in ("paid", "credited")) != settled_in_xero and live:
        found.append(SETTLED)
    return found


def _reasons(found: _Document, live: list[XeroDocument], newest: XeroDocument) -> list[Reason]:
    """Every known reason that applies to the document, in the order a person would act on them."""
    document, currency = found.document, found.document.currency
    reasons = []
    if isinstance(document, Invoice) and document.voided:
        copies = ", ".join(f"{row.number or 'without a number'} ({xero_status_label(row.status)})" for row in live)
        reasons.append(Reason(f"Voided in Bridge only: its {'copies are' if len(live) > 1 else 'copy is'} still "
                              f"live in Xero ({copies})", SETTLE_IN_XERO,
                              frozenset({TOTAL, PAID, DUE, SETTLED, CONTENT}), live[-1].xero_id))
        return reasons + _payment_reasons(found, live, newest, currency)
    if not live:
        reasons.append(_ended(document, newest))
    elif isinstance(document, Invoice):
        reasons += _total_reasons(document, newest)
    if len(live) > 1:
        numbers = ", ".join(row.number or "without a number" for row in live)
        reasons.append(Reason(f"{len(live)} copies are live in Xero ({numbers}): the client may be "
                              "billed twice", VOID, frozenset({PAID, DUE, SETTLED}), live[0].xero_id))
    reasons += _payment_reasons(found, live, newest, currency)
    if isinstance(document, Invoice) and live:
        reasons += _unsent_credit_reasons(document)
    return reasons


def _unsent_credit_reasons(invoice: Invoice) -> list[Reason]:
    """Credit notes Bridge holds that Xero does not yet: they lower what is due in Bridge only."""
    unsent = [note for note in credit_notes_of(invoice.id) if note.xero_status is None]
    if not unsent:
        return []
    numbers = ", ".join(note.number for note in unsent)
    total = _sum(note.total for note in unsent)
    return [Reason(f"Credit note {numbers} ({money(total, invoice.currency)}) is in Bridge only: copy it "
                   "to Xero, where it is applied to this invoice", LOOK, frozenset({DUE, SETTLED}))]


def _ended(document, newest: XeroDocument) -> Reason:
    """No live copy: every copy was voided or deleted in Xero, nothing is owed any more."""
    how = "Voided" if newest.status == "VOIDED" else "Deleted"
    when = f" on {day(newest.ended_at)}" if newest.ended_at else ""
    what = "the client owes nothing on it" if isinstance(document, Invoice) else "nothing is owed on it"
    return Reason(f"{how} in Xero{when} ({newest.number or 'no number'}): {what} any more",
                  CREATE, frozenset({TOTAL, PAID, DUE, SETTLED}), newest.xero_id)


def _total_reasons(invoice: Invoice, newest: XeroDocument) -> list[Reason]:
    """Why an invoice's own total differs from Xero's: changed since copied, or the tax."""
    reasons = []
    currency = invoice.currency
    if invoice.changed_since_copied:
        reasons.append(Reason(f"Changed in Bridge on {day(invoice.edited_at)}, after it was copied on "
                              f"{day(invoice.copied_at)}: Xero still has the earlier version",
                              UPDATE, frozenset({TOTAL, DUE, SETTLED, CONTENT}), newest.xero_id))
    elif newest.total != invoice.total and newest.sub_total == invoice.subtotal \
            and newest.total_tax != invoice.tax_total:
        reasons.append(Reason(
            f"Tax rate difference: Xero's total is {money(newest.total, currency)} with "
            f"{money(newest.total_tax, currency)} tax, Bridge's is {money(invoice.total, currency)} with "
            f"{money(invoice.tax_total, currency)} tax; payments settle Xero's total",
            UPDATE, frozenset({TOTAL}), newest.xero_id))
    return reasons


def _payment_reasons(found: _Document, live: list[XeroDocument], newest: XeroDocument,
                     currency: str) -> list[Reason]:
    """Payments: on an earlier copy, recorded in Bridge only, or not yet brought from Xero."""
    reasons = []
    by_copy = defaultdict(list)
    for payment in found.payments:
        by_copy[payment.xero_document_id if payment.source == "xero" else None].append(payment)
    earlier = [row for row in live if row is not newest and by_copy.get(row.xero_id)]
    for row in earlier:
        paid = _sum(p.amount for p in by_copy[row.xero_id])
        reasons.append(Reason(f"Payment of {money(paid, currency)} on an earlier copy ({row.number}, "
                              f"{xero_status_label(row.status)}), not on the newest ({newest.number})",
                              VOID_NEWER, frozenset({DUE, SETTLED}), newest.xero_id))
    manual = [p for p in found.payments if p.source != "xero"]
    if manual:
        reasons.append(Reason(f"{money(_sum(p.amount for p in manual), currency)} recorded in Bridge "
                              "only (not in Xero)", RECORD, frozenset({PAID, DUE, SETTLED})))
    for row in found.copies:
        mirrored = _sum(p.amount for p in by_copy.get(row.xero_id, ()))
        in_xero = (row.amount_paid or ZERO) if row.live else ZERO
        if mirrored != in_xero:
            reasons.append(Reason(f"Paid amounts differ on {row.number or 'a copy'}: Xero says "
                                  f"{money(in_xero, currency)}, Bridge has {money(mirrored, currency)} "
                                  "from Xero (a payment made before the sync was turned on comes with "
                                  "“Also fetch earlier payments” in the setup)",
                                  SYNC, frozenset({PAID, DUE, SETTLED}), row.xero_id))
    return reasons


def _summary_stale(document, live: list[XeroDocument], newest: XeroDocument) -> list[str]:
    """Bridge's summary of its copies (the ledger's) that no longer matches them: no known reason."""
    credited = _sum(row.amount_credited for row in live)
    if isinstance(document, Invoice):
        credited += unsent_credit(document.id)  # the ledger adds credit notes Xero does not hold yet
    expected = {"status in Xero": (document.xero_status, newest.status),
                "credit": (document.amount_credited or ZERO, credited)}
    if isinstance(document, Invoice):
        expected["number in Xero"] = (document.xero_number, newest.number)
        expected["Xero's total"] = (document.xero_total, newest.total if live else None)
    elif live:
        expected["Xero's total"] = (document.bill_total, newest.total)
    return [f"Bridge's {name} ({_shown(ours)}) is not Xero's ({_shown(theirs)})"
            for name, (ours, theirs) in expected.items() if ours != theirs]


def _shown(value) -> str:
    return "none" if value is None else money(value) if isinstance(value, Decimal) else str(value)
