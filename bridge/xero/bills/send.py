"""Sending a budget expense to Xero as a bill (create, or update the last one), exactly once.

    result = send_expense(expense_id, attempt_key=str(uuid4()), action="create", user_id=1,
                          source_url="https://bridge.example/expenses/7")

The invoice copy's machinery does the sending (bridge.xero.invoices.copy explains the design, and
its send_once is the frame of both): the
attempt key is a XeroCopy row (expense_id set) committed as `pending` before Xero is
called and sent as the Idempotency-Key; a repeat of the key answers from the row; a lost
answer is looked for in Xero (the bill's Url carries the key) before it is sent again.
Many expenses at once: bridge.xero.bills.batch.
"""
from dataclasses import dataclass, replace
from uuid import NAMESPACE_URL, uuid5

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, true

from bridge.extensions import db
from bridge.models import (
    SENDING_ACTIONS, Budget, Expense, ServiceTypeAccount, XeroActivity, XeroCopy, XeroCurrency, XeroSettings,
)
from bridge.xero.bills import mapping as bill_mapping
from bridge.billing.files import Owner
from bridge.xero.sending import activity, attachments, contacts, ledger, payloads
from bridge.xero.sending import attempt as copy_attempt
from bridge.xero.sending.attempt import CopyResult, DocumentKind, Plan, register
from bridge.xero.sending.once import CopyRefused, not_ready_message, resume_of, send_once, valid_key
from bridge.xero.settings import reference, tracking
from bridge.xero.settings.readiness import Readiness, every_readiness, readiness, xero_status_label

NOT_SENT = "This expense has not been sent to Xero yet: use Send to Xero."
STALE_PAGE = "This page is out of date: reload it and send again."
EXPORT_OFF = ("Sending expenses to Xero is off. An admin can turn it on in the Expenses card "
              "of Settings > App Marketplace > Xero.")


@dataclass(frozen=True)
class BillState:
    """An expense's bills as its page shows them (the "Sent to Xero" box)."""

    readiness: Readiness
    # Why nothing can be sent now (not connected, not set up, export off); None when it can.
    blocked: str | None
    # What the expense lacks for a bill (shown, with links, before anything is sent).
    missing: list[bill_mapping.Missing]
    last_done: XeroCopy | None
    last_attempt: XeroCopy | None
    bills: int
    entries: list[XeroActivity]

    @property
    def can_send(self) -> bool:
        return self.blocked is None and not self.missing

    @property
    def xero_url(self) -> str | None:
        return copy_attempt.xero_url(self.last_done) if self.last_done else None


def blocked(ready: Readiness) -> str | None:
    """Why no expense can be sent now, or None."""
    if not ready.ready:
        return not_ready_message(ready)
    if not ready.settings.export_expenses:
        return EXPORT_OFF
    return None


def choices(settings: XeroSettings, contact_id: str = "", url: str | None = None) -> bill_mapping.BillChoices:
    """The bill mapping's choices from the settings and the service types' expense accounts
    (both the settings' billing entity's)."""
    accounts = dict(db.session.execute(select(
        ServiceTypeAccount.service_type_id, ServiceTypeAccount.expense_account_code)
        .where(ServiceTypeAccount.expense_account_code.is_not(None),
               ServiceTypeAccount.entity_id == settings.entity_id)).all())
    # Bills follow the initial status of invoices; "Manual" (asked per invoice) makes drafts.
    status = settings.initial_status if settings.initial_status in payloads.COPY_STATUSES else "DRAFT"
    return bill_mapping.BillChoices(
        contact_id=contact_id, status=status, default_account=settings.default_expense_account_code,
        accounts=accounts, tax_type=settings.expense_tax_type or None, url=url,
        tracking=tracking.rules(settings.tenant_id, "bill", settings.entity_id) if settings.tenant_id else bill_mapping.TrackingRules())


def last_done(expense_id: int) -> XeroCopy | None:
    """The newest successful bill (create or update) of an expense."""
    return db.session.scalar(select(XeroCopy).where(
        XeroCopy.expense_id == expense_id, XeroCopy.state == "done",
        XeroCopy.action.in_(SENDING_ACTIONS))
        .order_by(XeroCopy.completed_at.desc(), XeroCopy.id.desc()).limit(1))


def last_bills(expense_ids: list[int]) -> dict[int, XeroCopy]:
    """The newest successful bill of each of these expenses, in one query."""
    rows = db.session.scalars(select(XeroCopy).where(
        XeroCopy.expense_id.in_(expense_ids), XeroCopy.state == "done",
        XeroCopy.action.in_(SENDING_ACTIONS))
        .order_by(XeroCopy.completed_at, XeroCopy.id)) if expense_ids else []
    return {row.expense_id: row for row in rows}


def unsettled(expense_ids: list[int]) -> dict[int, XeroCopy]:
    """The expenses whose newest send is still in progress or lost its answer (its bill may be
    in Xero: the expense's page checks again), with that attempt, in one query."""
    rows = db.session.scalars(select(XeroCopy).where(
        XeroCopy.expense_id.in_(expense_ids), XeroCopy.action.in_(SENDING_ACTIONS))
        .order_by(XeroCopy.id)) if expense_ids else []
    newest = {row.expense_id: row for row in rows}
    return {expense_id: row for expense_id, row in newest.items() if row.state in ("pending", "unknown")}


def has_bill():
    """SQL condition on Expense: it has a bill in Xero as last_bills counts it (a filter's "sent")."""
    return exists().where(XeroCopy.expense_id == Expense.id, XeroCopy.state == "done",
                          XeroCopy.action.in_(SENDING_ACTIONS))


@dataclass(frozen=True)
class BillInXero:
    """An expense's bill as a table's Xero column shows it."""

    xero_number: str | None
    xero_status: str | None


def bills_in_xero(expense_ids: list[int]) -> dict[int, BillInXero]:
    """The bill of each of these expenses that was sent, with the number and status Xero holds
    (the ledger's current copy: Xero's answers and the payment sync), in two queries."""
    sent = last_bills(expense_ids)
    held = ledger.current_copies(Expense, sent)
    # A send whose answer the ledger did not keep (Xero gave no InvoiceID) shows that answer.
    return {expense_id: BillInXero(held[expense_id].number, held[expense_id].status) if expense_id in held
            else BillInXero(row.xero_number, row.xero_status) for expense_id, row in sent.items()}


def ready_to_send(settings: XeroSettings) -> ColumnElement[bool]:
    """Expenses of the settings' billing entity's budgets with no bill yet that have what a bill
    needs: mapping.missing_fields and the currency check (reference.currency_problem) said in
    SQL, so they are counted, not loaded."""
    mapped = select(ServiceTypeAccount.service_type_id).where(
        ServiceTypeAccount.entity_id == settings.entity_id,
        ServiceTypeAccount.expense_account_code.is_not(None), ServiceTypeAccount.expense_account_code != "")
    budgets = select(Budget.id).where(Budget.entity_id == settings.entity_id)
    has_account = true() if settings.default_expense_account_code else Expense.service_type_id.in_(mapped)
    enabled = select(XeroCurrency.code).where(XeroCurrency.tenant_id == settings.tenant_id)
    billed = select(XeroCopy.expense_id).where(
        XeroCopy.expense_id.is_not(None), XeroCopy.state == "done", XeroCopy.action.in_(SENDING_ACTIONS))
    return and_(
        Expense.budget_id.in_(budgets), Expense.supplier_id.is_not(None), Expense.due_date.is_not(None),
        func.trim(Expense.description) != "",
        has_account, or_(~enabled.exists(), Expense.currency.in_(enabled)), Expense.id.not_in(billed),
    )


def bill_state(expense: Expense, ready: Readiness) -> BillState:
    """The expense's bills, its newest attempt, what it lacks and its Xero activity."""
    rows = list(db.session.scalars(select(XeroCopy).where(XeroCopy.expense_id == expense.id)
                                   .order_by(XeroCopy.id.desc())))
    done = last_done(expense.id)
    newest = rows[0] if rows else None
    newer = newest is not None and newest is not done and (done is None or newest.id > done.id)
    why = blocked(ready)
    return BillState(
        readiness=ready, blocked=why,
        missing=bill_mapping.missing_fields(expense, choices(ready.settings)) if why is None else [],
        last_done=done, last_attempt=newest if newer else None,
        bills=sum(1 for row in rows if row.state == "done" and row.action == "create"),
        entries=activity.for_expense(expense.id),
    )


def send_expense(expense_id: int, *, attempt_key: str, action: str, user_id: int | None,
                 source_url: str) -> CopyResult:
    """Create a Xero bill from the expense, or update its last bill, once per attempt_key.

    LookupError when the expense does not exist. With a key already used, the other
    arguments are ignored: that attempt is answered (or recovered) as it was made.
    """
    return send_once(attempt_key, action, user_id, lambda key: plan_for(
        expense_id, action, key, source_url, user_id), stale=STALE_PAGE)


def resume_send(expense_id: int, attempt_key: str, user_id: int | None) -> CopyResult:
    """Check again on an attempt of this expense (LookupError if there is no such attempt)."""
    return resume_of(attempt_key, user_id, XeroCopy.expense_id == expense_id)


def plan_for(expense_id: int, action: str, key: str, source_url: str, user_id: int | None,
             contact_cache: dict | None = None) -> Plan:
    """Check the expense against the settings, find its supplier's contact, build the bill.

    contact_cache ((tenant id, company id) -> contacts.Created, from supplier_contacts) lets the
    expenses of a batch share one look-up of their suppliers.
    """
    ready, expense, base, target = checked(expense_id, action)
    contact = supplier_contact(ready.tenant_id, expense, key, user_id, contact_cache)
    url = payloads.attempt_url(source_url, key) if action == "create" else None
    bill_choices = replace(base, contact_id=contact.id, url=url)
    payload = bill_mapping.bill_payload(db.session.get(Expense, expense_id), bill_choices) \
        if action == "create" else None
    return Plan(ready.tenant_id, None, action, bill_choices, payload, target, None, expense_id=expense_id)


def checked(expense_id: int, action: str, ready: Readiness | None = None) -> tuple:
    """What a bill is made from, once the expense passed every check that needs no Xero call:
    (readiness of its budget's billing entity, the expense, the choices, the bill to update or
    None); CopyRefused otherwise, LookupError when the expense does not exist. `ready` is reused
    when it is that entity's."""
    expense = db.session.get(Expense, expense_id)
    if expense is None:
        raise LookupError(f"No expense {expense_id}.")
    ready = readiness_of(expense, ready)
    why = blocked(ready)
    if why:
        raise CopyRefused(None, why)
    if action not in ("create", "update"):
        raise CopyRefused(None, "Choose Send to Xero, Update existing or Create new.")
    base = choices(ready.settings)
    missing = bill_mapping.missing_fields(expense, base)
    if missing:
        raise CopyRefused(missing[0].field, " ".join(m.message for m in missing))
    # Before the supplier's contact is looked for: that may already call Xero.
    currency = reference.currency_problem(ready.tenant_id, expense.currency)
    if currency:
        raise CopyRefused(None, currency)
    # An option archived in Xero: Xero would refuse the line, so nothing is sent.
    refused = bill_mapping.bill_tracking(expense, base).refused
    if refused:
        raise CopyRefused(None, refused[0])
    target = None
    if action == "update":
        last = last_done(expense_id)
        if last is None:
            raise CopyRefused(None, NOT_SENT)
        if last.tenant_id != ready.tenant_id:
            raise CopyRefused(None, "The last bill is in another Xero organisation than the one "
                              "connected now: create a new one instead.")
        target = last.xero_id
    return ready, expense, base, target


def readiness_of(expense: Expense, known: Readiness | None = None) -> Readiness:
    """The Xero organisation of the expense's budget's billing entity (`known` when it is that one)."""
    entity_id = expense.budget.entity_id
    return known if known is not None and known.entity_id == entity_id else readiness(entity_id)


def readiness_by_expense(expense_ids: list[int]) -> dict[int, Readiness]:
    """Each expense's budget's billing entity's readiness (expense id -> it), asked once per
    entity: a fixed number of queries however many expenses."""
    entities = dict(db.session.execute(
        select(Expense.id, Budget.entity_id).join(Budget, Budget.id == Expense.budget_id)
        .where(Expense.id.in_(expense_ids))).all()) if expense_ids else {}
    by_entity = {ready.entity_id: ready for ready in every_readiness()} if entities else {}
    return {expense_id: by_entity[entity_id] for expense_id, entity_id in entities.items()}


def ready_to_send_anywhere() -> ColumnElement[bool] | None:
    """ready_to_send for every billing entity that can send bills now (each its own budgets'
    expenses); None when none can."""
    conditions = [ready_to_send(ready.settings) for ready in every_readiness() if blocked(ready) is None]
    return or_(*conditions) if conditions else None


def supplier_contacts(items: list[tuple[int, str]], user_id: int | None) -> dict:
    """The Xero contacts of the suppliers of new bills about to be sent, given as (expense id,
    attempt key), found or created together in each billing entity's organisation
    (bridge.xero.sending.contacts.for_companies: one look-up, one creation per organisation):
    (tenant id, company id) -> contacts.Created, for plan_for's cache.

    Only expenses that will be sent count: not those whose key was used before (answered from
    their row) or that a check refuses (nothing is created in Xero for them).
    """
    keys = {}
    for expense_id, key in items:
        try:
            keys[expense_id] = valid_key(key, STALE_PAGE)
        except CopyRefused:
            continue
    used = set(db.session.scalars(select(XeroCopy.attempt_key).where(
        XeroCopy.attempt_key.in_(list(keys.values()))))) if keys else set()
    # tenant id -> (company id -> the first expense it is for)
    suppliers: dict[str, dict[int, int]] = {}
    known: dict[int, Readiness] = {}  # entity id -> its readiness, asked once per batch
    for expense_id, key in keys.items():
        if key in used:
            continue
        try:
            expense = db.session.get(Expense, expense_id)
            entity_id = expense.budget.entity_id if expense is not None else None
            ready, expense, _, _ = checked(expense_id, "create", known.get(entity_id))
        except (CopyRefused, LookupError):
            continue
        known[ready.entity_id] = ready
        if expense.supplier_id and contacts.linked_contact(ready.tenant_id, expense.supplier) is None:
            suppliers.setdefault(ready.tenant_id, {}).setdefault(expense.supplier_id, expense_id)
    found = {}
    for tenant_id, companies in suppliers.items():
        batch_key = str(uuid5(NAMESPACE_URL, f"suppliers:{tenant_id}:" + ",".join(sorted(keys.values()))))
        answers = contacts.for_companies(tenant_id, companies, attempt_key=batch_key, user_id=user_id)
        found.update({(tenant_id, company_id): created for company_id, created in answers.items()})
    return found


def supplier_contact(tenant_id: str, expense: Expense, key: str, user_id: int | None,
                     cache: dict | None) -> contacts.Contact:
    """The supplier's Xero contact: linked, found by name, or created (CopyRefused if Xero refuses).
    cache: (tenant id, company id) -> contacts.Created."""
    cache = {} if cache is None else cache
    supplier_id, expense_id = expense.supplier_id, expense.id
    if (tenant_id, supplier_id) not in cache:
        cache[tenant_id, supplier_id] = contacts.for_company(tenant_id, supplier_id, attempt_key=key,
                                                             user_id=user_id, expense_id=expense_id)
    found = cache[tenant_id, supplier_id]
    if found.contact is None:
        # Xero's own words when it refused the contact (verbatim), else why it could not answer.
        said = " ".join(d.message for d in found.refusal.details) or found.refusal.message
        raise CopyRefused("supplier", f"Xero could not give a contact for the supplier "
                          f"{expense.supplier.name}: {said}")
    return found.contact


def finish_bill(row: XeroCopy, element: dict, user_id: int | None, operation: str) -> CopyResult:
    """Xero has the bill: record it (its total is what payments settle), link the supplier, then
    upload the expense's receipts to it (one call each)."""
    expense = db.session.get(Expense, row.expense_id)
    copy_attempt.mark_done(row, element)  # the bill's total and status go to the ledger
    contact = element.get("Contact") or {}
    if contact.get("ContactID") and expense.supplier_id:
        contacts.link(expense.supplier_id, contacts.Contact(
            str(contact["ContactID"]), contact.get("Name") or expense.supplier.name))
    verb = "Sent" if row.action == "create" else "Updated the bill of"
    activity.record(copy_attempt.operation_of(row), "ok",
                    f"{verb} expense {expense.description!r} as bill {bill_label(row)} "
                    f"({xero_status_label(row.xero_status)}) in Xero.", tenant_id=row.tenant_id, user_id=user_id,
                    expense_id=row.expense_id, request=row.payload, response=element)
    db.session.commit()
    row_id = row.id
    notes = attachments.upload_files(Owner(expense_id=row.expense_id), row.tenant_id, row.xero_id, user_id)
    return copy_attempt.result(db.session.get(XeroCopy, row_id), tuple(notes))


def upload_receipts(expense_id: int, user_id: int | None) -> list[str]:
    """Retry: the expense's receipts its last bill in Xero lacks, uploaded now (what did not go)."""
    row = last_done(expense_id)
    if row is None:
        return [NOT_SENT]
    return attachments.upload_files(Owner(expense_id=expense_id), row.tenant_id, row.xero_id, user_id)


def bill_label(row: XeroCopy) -> str:
    """A bill as people name it: its number (the supplier's reference), else 'without number'."""
    return row.xero_number or "(no number)"


def update_bill_payload(plan: Plan, current: dict) -> dict:
    """The update of the Xero bill `current` from our expense as it is now."""
    expense = db.session.get(Expense, plan.expense_id)
    return bill_mapping.bill_update_payload(expense, plan.choices, current)


register(DocumentKind("bill", update_payload=update_bill_payload, finish=finish_bill))
