"""What needs attention, for the home page: each item a count and the place that resolves it.

    items = needing_attention(every_readiness())  # at most 3 queries: counts, never rows

With several billing entities, each entity's organisation is looked at (reconnect, sync) and
the counts are across all of them; one Readiness alone is one entity's.

The invoice counts use the invoice table's own filter conditions (bridge.invoicing.table), so
a count and the filtered table it links to always agree; expenses use the bills' own rule
(bridge.xero.bills.send.ready_to_send).

Reconcile's unexplained documents are not counted here: finding them compares every copied
document in Python (bridge.xero.sync.reconcile), which costs rows, not a count.
"""
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import distinct, func, or_, select

from bridge.extensions import db
from bridge.formatting import moment
from bridge.invoicing.table import changed_since_copied, refused_ids
from bridge.models import Expense, Invoice, XeroSyncState
from bridge.xero.bills.send import ready_to_send
from bridge.xero.settings.readiness import Readiness


@dataclass(frozen=True)
class Item:
    """One thing to look at: how many, what it is, why, and where it is resolved."""

    key: str
    count: int
    title: str
    detail: str
    action: str
    url: str
    # Only admins can resolve it (the App Marketplace); members are told so instead of a link.
    admins_only: bool = False
    # A state of the connection rather than a number of documents: shown with a mark, not "1".
    counted: bool = True


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def needing_attention(readies: Readiness | list[Readiness]) -> list[Item]:
    """Every item with something in it, the connections' first; [] when Xero was never connected
    (for any billing entity)."""
    connected = [ready for ready in ([readies] if isinstance(readies, Readiness) else readies) if ready.tenant_id]
    if not connected:
        return []
    items = []
    for ready in connected:
        if ready.needs_reconnect:
            items.append(Item(
                "reconnect", 1, "Xero needs reconnecting",
                f"Xero no longer accepts Bridge's access to {ready.tenant_name}: nothing is copied or "
                "synced until it is reconnected.",
                "Reconnect", url_for("marketplace.index"), admins_only=True, counted=False))
    syncing = [ready.tenant_id for ready in connected if not ready.needs_reconnect and sync_on(ready)]
    if syncing:
        items += _sync_failing(syncing)
    items += _invoices()
    sending = [ready for ready in connected if ready.ready and ready.settings.export_expenses]
    if sending:
        items += _expenses(sending)
    return items


def sync_on(ready: Readiness) -> bool:
    settings = ready.settings
    return bool(settings and settings.sync_payments and settings.tenant_id == ready.tenant_id)


def _sync_failing(tenant_ids: list[str]) -> list[Item]:
    """The payment sync's last run ended in an error, per organisation (a later success clears it)."""
    states = db.session.execute(select(XeroSyncState.last_error, XeroSyncState.last_run_at)
                                .where(XeroSyncState.tenant_id.in_(tenant_ids),
                                       XeroSyncState.last_error.is_not(None), XeroSyncState.last_error != "")
                                .order_by(XeroSyncState.id)).all()
    items = []
    for state in states:
        when = f" on {moment(state.last_run_at)}" if state.last_run_at else ""
        items.append(Item("sync", 1, "Payment sync is failing", f"The last sync{when} stopped: {state.last_error}",
                          "See the sync", url_for("marketplace.index") + "#xero-sync", admins_only=True,
                          counted=False))
    return items


def _invoices() -> list[Item]:
    """Invoices whose newest copy Xero refused, and invoices changed since their copy (one query)."""
    refused, changed = db.session.execute(select(
        select(func.count()).select_from(refused_ids().subquery()).scalar_subquery(),
        select(func.count(Invoice.id)).where(changed_since_copied()).scalar_subquery())).one()
    items = []
    if refused:
        items.append(Item(
            "refused", refused, "Refused by Xero",
            "The last copy did not go through; each invoice shows Xero's messages and what to check.",
            f"Show {plural(refused, 'invoice')}", url_for("invoicing.index", xero="refused")))
    if changed:
        items.append(Item(
            "changed", changed, "Changed since copied",
            "Xero still has the earlier version: open each one and use Update existing.",
            f"Show {plural(changed, 'invoice')}", url_for("invoicing.index", xero="changed")))
    return items


def _expenses(sending: list[Readiness]) -> list[Item]:
    """Expenses that have what a bill needs and are not in Xero yet, each of an entity that sends
    bills (one query)."""
    count, budgets, budget_id = db.session.execute(
        select(func.count(Expense.id), func.count(distinct(Expense.budget_id)), func.min(Expense.budget_id))
        .where(or_(*(ready_to_send(ready.settings) for ready in sending)))).one()
    if not count:
        return []
    # All in one budget: its page, where they are ticked and sent; else the budgets that have some.
    url = url_for("workspace.budget", budget_id=budget_id) if budgets == 1 else \
        url_for("workspace.budgets", xero="ready")
    return [Item("expenses", count, "Expenses ready for Xero",
                 "They have what a bill needs and are not in Xero yet.",
                 f"Send {plural(count, 'expense')}", url)]
