"""Sending a selection of expenses as bills: up to 50 in one PUT /Invoices (Xero's batch,
summarizeErrors=false answers per bill), each expense exactly once.

The suppliers' contacts come first, for the whole batch: those Xero has are found by name in
one call, the others created in one PUT /Contacts (bridge.xero.sending.contacts.for_companies).
Each expense brings its own attempt key (made when the selection was shown), and its row
is committed as `pending` before Xero is called, as for one expense (bridge.xero.bills.send).
Each expense goes to its budget's billing entity's organisation: a selection mixing entities is
one request per organisation.
An expense refused before that (what it lacks, a currency Xero's organisation has not
enabled) is answered as refused without a row and is left out of the batch.
The batch's Idempotency-Key is derived from its attempt keys, so the transport's retries
of the same request are answered from Xero's cache. Xero's answer is split per bill: a
bill Xero refused has its messages; one whose answer was lost is looked for in Xero the
next time that expense is sent.
"""
from dataclasses import dataclass
from uuid import NAMESPACE_URL, uuid5

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Expense
from bridge.xero.bills import send as bills
from bridge.xero.sending import attempt as copy_attempt
from bridge.xero.api.client import XeroClient
from bridge.xero.sending.once import CopyRefused, pending_row, start
from bridge.xero.sending.attempt import CopyResult
from bridge.xero.api.errors import XeroError, XeroValidationError

# Xero takes up to 50 invoices per PUT /Invoices (XERO_API_NOTES.md §3.4).
BATCH_SIZE = 50


@dataclass(frozen=True)
class Sent:
    """What happened to one expense of the selection."""

    expense_id: int
    description: str
    result: CopyResult


def send_batch(items: list[tuple[int, str]], *, user_id: int | None, url_for_expense) -> list[Sent]:
    """Send up to BATCH_SIZE expenses, given as (expense id, attempt key), as new bills.

    url_for_expense(expense_id) is the expense's address in Bridge (the bill's Url).
    Expenses whose key was used before are answered from their row, never sent again.
    """
    if len(items) > BATCH_SIZE:
        raise ValueError(f"At most {BATCH_SIZE} expenses per batch.")
    answers: dict[int, CopyResult] = {}
    # The suppliers without a Xero contact yet: found or created together, before any row.
    rows, cache = [], bills.supplier_contacts(items, user_id)
    for expense_id, key in items:
        try:
            key, plan = start(key, "create", user_id, lambda stored: bills.plan_for(
                expense_id, "create", stored, url_for_expense(expense_id), user_id, cache), stale=bills.STALE_PAGE)
        except LookupError:
            plan = CopyRefused(None, "This expense no longer exists.").result("create")
        if isinstance(plan, CopyResult):
            answers[expense_id] = plan
            continue
        rows.append((expense_id, pending_row(plan, key, user_id), plan))
    db.session.flush()
    rows = [(expense_id, row.id, row.attempt_key, plan) for expense_id, row, plan in rows]
    db.session.commit()
    # Each billing entity's bills go to its own organisation: one request per organisation.
    by_tenant: dict[str, list] = {}
    for row in rows:
        by_tenant.setdefault(row[3].tenant_id, []).append(row)
    for group in by_tenant.values():
        answers.update(_send(group, user_id))
    names = dict(db.session.execute(select(Expense.id, Expense.description)
                                    .where(Expense.id.in_([i for i, _ in items]))).all())
    return [Sent(expense_id, names.get(expense_id, f"Expense {expense_id}"), answers[expense_id])
            for expense_id, _ in items]


def _send(rows: list, user_id: int | None) -> dict[int, CopyResult]:
    """One PUT /Invoices for the pending rows (all to one organisation); each row records its
    part of the answer."""
    payloads = [plan.payload for *_, plan in rows]
    tenant = rows[0][3].tenant_id
    key = str(uuid5(NAMESPACE_URL, "bills:" + ",".join(attempt_key for _, _, attempt_key, _ in rows)))
    try:
        with XeroClient(tenant) as client:
            elements = client.create_invoices(payloads, summarize_errors=False, idempotency_key=key)
    except XeroValidationError as error:
        # Only a 200 carries one answer per bill; any other status refused the whole request.
        if error.status != 200 or not error.elements:
            return _each(rows, lambda row_id, payload: copy_attempt.record_refusal(row_id, error, user_id, payload))
        return _split(rows, error, user_id)
    except copy_attempt.FINAL_ERRORS as error:
        return _each(rows, lambda row_id, payload: copy_attempt.record_refusal(row_id, error, user_id, payload))
    except XeroError as error:
        return _each(rows, lambda row_id, payload: copy_attempt.record_lost(row_id, error, user_id, payload))
    except Exception as error:
        _each(rows, lambda row_id, payload: copy_attempt.record_lost(row_id, error, user_id, payload))
        raise
    return {expense_id: copy_attempt.record_answer(row_id, element, user_id)
            for (expense_id, row_id, _, _), element in zip(rows, elements)}


def _each(rows: list, record) -> dict[int, CopyResult]:
    return {expense_id: record(row_id, plan.payload) for expense_id, row_id, _, plan in rows}


def _split(rows: list, error: XeroValidationError, user_id: int | None) -> dict[int, CopyResult]:
    """Xero refused some bills of the batch: they record Xero's messages, the others their bill."""
    refused = {element.position: element for element in error.elements}
    answers = {}
    for position, ((expense_id, row_id, _, plan), element) in enumerate(zip(rows, error.in_order(len(rows)))):
        if position in refused:
            one = XeroValidationError(list(refused[position].messages), status=error.status,
                                      operation=error.operation)
            answers[expense_id] = copy_attempt.record_refusal(row_id, one, user_id, plan.payload)
        else:
            answers[expense_id] = copy_attempt.record_answer(row_id, element, user_id)
    return answers
