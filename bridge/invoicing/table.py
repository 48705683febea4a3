"""The invoice table's query: search, filters and one page, in a constant number of queries."""
import datetime as dt
from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, literal, or_, select, union_all
from sqlalchemy.orm import aliased, contains_eager, selectinload

from bridge.extensions import db
from bridge.models import SENDING_ACTIONS, BillingEntity, Company, CustomField, Invoice, XeroCopy


def changed_since_copied() -> ColumnElement[bool]:
    """Invoice.changed_since_copied in SQL: edited after its newest copy or update (a voided
    invoice is not copied again, so never counts)."""
    return and_(Invoice.copied_at.is_not(None), Invoice.edited_at.is_not(None),
                Invoice.edited_at > Invoice.copied_at, Invoice.status != "voided")


# Made once: a new alias per request would miss SQLAlchemy's statement cache (compiled each time).
NEWER_COPY = aliased(XeroCopy, name="newer_copy")


def refused_ids() -> Select:
    """Ids of the invoices whose newest copy or update failed (Xero refused it, or it could not be
    sent): a failed attempt with no newer one, found through the index on xero_copies.invoice_id.
    A voided invoice is not copied again: its refusal no longer needs attention."""
    newer = NEWER_COPY
    return select(XeroCopy.invoice_id).where(
        XeroCopy.invoice_id.is_not(None), XeroCopy.state == "failed", XeroCopy.action.in_(SENDING_ACTIONS),
        XeroCopy.invoice_id.not_in(select(Invoice.id).where(Invoice.status == "voided")),
        ~select(newer.id).where(newer.invoice_id == XeroCopy.invoice_id, newer.action.in_(SENDING_ACTIONS),
                                newer.id > XeroCopy.id).exists())


def refused_by_xero() -> ColumnElement[bool]:
    return Invoice.id.in_(refused_ids())


# The table's Xero filter: value -> (words in its select, condition).
XERO_FILTERS = {
    "not_copied": ("Not copied", lambda: Invoice.xero_status.is_(None)),
    "copied": ("In Xero", lambda: Invoice.xero_status.is_not(None)),
    "changed": ("Changed", changed_since_copied),
    "refused": ("Refused", refused_by_xero),
}


@dataclass(frozen=True)
class InvoiceFilters:
    """What the table is narrowed to; None or empty means no filter."""

    q: str = ""
    client_id: int | None = None
    status: str | None = None
    payment_status: str | None = None
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    xero: str | None = None  # a key of XERO_FILTERS
    entity_id: int | None = None


def filtered_invoices(filters: InvoiceFilters) -> Select:
    """Invoices matching the filters, newest first, with their client and custom values loaded."""
    stmt = (
        select(Invoice)
        .join(Invoice.client)
        .options(contains_eager(Invoice.client), selectinload(Invoice.custom_values))
    )
    return _narrowed(stmt, filters).order_by(Invoice.issue_date.desc(), Invoice.id.desc())


def matching_ids(filters: InvoiceFilters) -> list[int]:
    """The ids of every invoice matching the filters, in the table's order (for bulk actions)."""
    stmt = _narrowed(select(Invoice.id).join(Invoice.client), filters)
    return list(db.session.scalars(stmt.order_by(Invoice.issue_date.desc(), Invoice.id.desc())))


def _narrowed(stmt: Select, filters: InvoiceFilters) -> Select:
    """The statement with the filters' conditions (it must join the client)."""
    if filters.q:
        stmt = stmt.where(or_(
            Invoice.number.icontains(filters.q, autoescape=True),
            Invoice.subject.icontains(filters.q, autoescape=True),
            Company.name.icontains(filters.q, autoescape=True),
        ))
    if filters.client_id is not None:
        stmt = stmt.where(Invoice.client_id == filters.client_id)
    if filters.entity_id is not None:
        stmt = stmt.where(Invoice.entity_id == filters.entity_id)
    if filters.status:
        stmt = stmt.where(Invoice.status == filters.status)
    if filters.payment_status:
        stmt = stmt.where(Invoice.payment_status == filters.payment_status)
    if filters.issued_from:
        stmt = stmt.where(Invoice.issue_date >= filters.issued_from)
    if filters.issued_to:
        stmt = stmt.where(Invoice.issue_date <= filters.issued_to)
    if filters.xero:
        stmt = stmt.where(XERO_FILTERS[filters.xero][1]())
    return stmt


def invoice_page(filters: InvoiceFilters, page: int, per_page: int) -> Pagination:
    """One page of the table (a count query, the rows, their custom values)."""
    return db.paginate(
        filtered_invoices(filters), page=max(page, 1), per_page=per_page, error_out=False, count=True
    )


def refused_among(invoice_ids: list[int]) -> set[int]:
    """Which of these invoices Xero refused the newest copy of (one query, for a page's badges)."""
    if not invoice_ids:
        return set()
    return set(db.session.scalars(refused_ids().where(XeroCopy.invoice_id.in_(invoice_ids))))


def table_fields() -> list[CustomField]:
    """The custom fields shown as columns, in their order."""
    return list(db.session.scalars(
        select(CustomField).where(CustomField.archived.is_(False)).order_by(CustomField.position, CustomField.id)
    ))


def values_by_invoice(invoices: list[Invoice]) -> dict[int, dict[int, str]]:
    """{invoice id: {field id: value}} from the custom values already loaded."""
    return {inv.id: {v.field_id: v.value for v in inv.custom_values} for inv in invoices}


def filter_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(id, name) of every client and of every billing entity, by name, for the filters' selects
    and the Entity column: one query, so the table's query count stays as it was."""
    rows = db.session.execute(union_all(
        select(literal(0).label("kind"), Company.id, Company.name),
        select(literal(1).label("kind"), BillingEntity.id, BillingEntity.name),
    ).order_by("kind", "name"))
    clients, entities = [], []
    for kind, id_, name in rows:
        (entities if kind else clients).append((str(id_), name))
    return clients, entities
