"""The Expenses page's query: every budget's expenses, filtered, one page at a time, in a
constant number of queries (the count, the rows with their budget and supplier)."""
from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, selectinload

from bridge.extensions import db
from bridge.models import Budget, Expense
from bridge.xero.bills.send import has_bill


@dataclass(frozen=True)
class ExpenseFilters:
    """What the table is narrowed to; None means no filter."""

    budget_id: int | None = None
    supplier_id: int | None = None
    payment_status: str | None = None
    # True: only expenses sent to Xero as bills; False: only those not sent.
    in_xero: bool | None = None

    @property
    def any(self) -> bool:
        return any(value is not None for value in (self.budget_id, self.supplier_id, self.payment_status,
                                                   self.in_xero))


def filtered_expenses(filters: ExpenseFilters) -> Select:
    """Expenses matching the filters, newest first, with their budget and supplier loaded."""
    stmt = (
        select(Expense)
        .join(Expense.budget)
        .options(contains_eager(Expense.budget), selectinload(Expense.supplier))
    )
    if filters.budget_id is not None:
        stmt = stmt.where(Expense.budget_id == filters.budget_id)
    if filters.supplier_id is not None:
        stmt = stmt.where(Expense.supplier_id == filters.supplier_id)
    if filters.payment_status:
        stmt = stmt.where(Expense.payment_status == filters.payment_status)
    if filters.in_xero is not None:
        stmt = stmt.where(has_bill() if filters.in_xero else ~has_bill())
    return stmt.order_by(Expense.date.desc(), Expense.id.desc())


def expense_page(filters: ExpenseFilters, page: int, per_page: int) -> Pagination:
    """One page of the table."""
    return db.paginate(filtered_expenses(filters), page=max(page, 1), per_page=per_page, error_out=False,
                       count=True)


def budget_choices() -> list[tuple[str, str]]:
    """(id, name) of every budget, for the filter's select."""
    rows = db.session.execute(select(Budget.id, Budget.name).order_by(func.lower(Budget.name), Budget.id))
    return [(str(i), name) for i, name in rows]
