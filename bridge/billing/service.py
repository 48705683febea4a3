"""Creating and changing invoices: plain arguments in, one transaction, nothing half-written."""
import datetime as dt
from pathlib import Path
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from bridge.extensions import db
from bridge.billing import files
from bridge.billing.entities import entity_for_client
from bridge.billing.numbering import next_invoice_number
from bridge.billing.totals import InvoiceTotals, apply_totals, line_amounts, sum_lines
from bridge.models import (
    BillingEntity, Company, Invoice, InvoiceLine, ServiceType, TaxRate, XeroActivity, XeroCopy, XeroDocument, utcnow,
)

# Payment terms of a new invoice until the workspace gets a setting for them.
DEFAULT_PAYMENT_DAYS = 30
# Lines per invoice (README "Limits"): the editor, the page and the PDF stay fast at this
# many (bench/invoice_size_bench.py); a longer invoice is refused with a message.
MAX_LINES = 200
# What the status switch on the invoice page moves between; "voided" is reached by voiding.
SWITCHABLE_STATUSES = ("draft", "sent")


class InvoiceError(ValueError):
    """Input the service refuses; `field` names the form field it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class LineData:
    """One validated invoice line."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Decimal("0")
    service_type_id: int | None = None
    tax_rate_id: int | None = None


@dataclass(frozen=True)
class InvoiceData:
    """A validated invoice header with its lines, as the editor submits it."""

    client_id: int
    subject: str
    issue_date: dt.date
    due_date: dt.date
    lines: tuple[LineData, ...]
    purchase_order_number: str | None = None
    currency: str | None = None  # None: the client's default currency
    notes: str | None = None
    entity_id: int | None = None  # None: the client's default entity (bridge.billing.entities)


@dataclass(frozen=True)
class EditorChoices:
    """What the editor's selects offer, as (value, label) pairs."""

    clients: list[tuple[str, str]]
    client_currencies: dict[str, str]
    service_types: list[tuple[str, str]]
    tax_rates: list[tuple[str, str]]
    # The billing entities (id, name) and each client's default entity id; the editor offers a
    # choice only when there are several.
    entities: list[tuple[str, str]] = field(default_factory=list)
    client_entities: dict[str, str] = field(default_factory=dict)


def new_invoice_defaults(today: dt.date | None = None) -> dict:
    """Form data of a blank invoice: issued today, due after the usual terms, one empty line."""
    today = today or dt.date.today()
    return {
        "issue_date": today,
        "due_date": today + dt.timedelta(days=DEFAULT_PAYMENT_DAYS),
        "lines": [{}],
    }


def invoice_form_data(invoice: Invoice) -> dict:
    """An invoice as the editor's form data."""
    return {
        "client_id": str(invoice.client_id),
        "subject": invoice.subject,
        "purchase_order_number": invoice.purchase_order_number,
        "currency": invoice.currency,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "notes": invoice.notes,
        "entity_id": str(invoice.entity_id),
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount_percent": line.discount_percent,
                "service_type_id": str(line.service_type_id or ""),
                "tax_rate_id": str(line.tax_rate_id or ""),
            }
            for line in invoice.lines
        ],
    }


def editor_choices(invoice: Invoice | None = None) -> EditorChoices:
    """Clients, and the non-archived service types and tax rates (plus archived ones the invoice uses)."""
    used_types = {line.service_type_id for line in invoice.lines} if invoice else set()
    used_rates = {line.tax_rate_id for line in invoice.lines} if invoice else set()
    clients = db.session.execute(
        select(Company.id, Company.name, Company.default_currency, Company.default_entity_id).order_by(Company.name)
    ).all()
    entities = db.session.execute(select(BillingEntity.id, BillingEntity.name).order_by(BillingEntity.id)).all()
    first = str(entities[0].id) if entities else ""
    known = {str(e.id) for e in entities}
    return EditorChoices(
        clients=[(str(c.id), c.name) for c in clients],
        client_currencies={str(c.id): c.default_currency for c in clients},
        service_types=active_choices(ServiceType, used_types),
        tax_rates=active_choices(TaxRate, used_rates),
        entities=[(str(e.id), e.name) for e in entities],
        client_entities={str(c.id): (str(c.default_entity_id) if str(c.default_entity_id) in known else first)
                         for c in clients},
    )


def preview_totals(lines: list[LineData]) -> InvoiceTotals:
    """Totals of lines not saved yet, computed exactly as on save."""
    rate_ids = {line.tax_rate_id for line in lines if line.tax_rate_id}
    rates = dict(
        db.session.execute(select(TaxRate.id, TaxRate.percentage).where(TaxRate.id.in_(rate_ids))).all()
    ) if rate_ids else {}
    return sum_lines([
        line_amounts(line.quantity, line.unit_price, line.discount_percent, rates.get(line.tax_rate_id))
        for line in lines
    ])


def get_invoice(invoice_id: int, *, full: bool = False) -> Invoice | None:
    """One invoice; `full` also loads what its page and PDF show, in a few queries."""
    stmt = select(Invoice).where(Invoice.id == invoice_id)
    if full:
        stmt = stmt.options(
            joinedload(Invoice.client),
            joinedload(Invoice.created_by),
            selectinload(Invoice.lines).options(
                joinedload(InvoiceLine.service_type), joinedload(InvoiceLine.tax_rate)
            ),
            selectinload(Invoice.custom_values),
            selectinload(Invoice.payments),
        )
    return db.session.scalar(stmt)


def entity_of(data: InvoiceData) -> BillingEntity:
    """The entity the person chose for a new invoice, else its client's."""
    if data.entity_id is None:
        return entity_for_client(db.session.get(Company, data.client_id))
    return db.session.get(BillingEntity, data.entity_id) or _no_such_entity()


def _no_such_entity():
    raise InvoiceError("entity_id", "Pick a billing entity from the list.")


def change_entity(invoice: Invoice, entity_id: int | None) -> None:
    """Move the invoice to another billing entity (None: it stays); its number stays. Refused while
    Xero holds a live copy of it or of one of its credit notes: that copy lives in the organisation
    of the entity it has now."""
    if entity_id is None or entity_id == invoice.entity_id:
        return
    entity = db.session.get(BillingEntity, entity_id) or _no_such_entity()
    live = [doc for doc in (invoice, *invoice.credit_notes) if doc.xero_status not in (None, "VOIDED", "DELETED")]
    if live:
        current = invoice.entity.name
        raise InvoiceError("entity_id", f"Its copy in Xero ({live[0].xero_number or live[0].number}) lives in "
                                        f"{current}'s Xero organisation, so this invoice stays with {current}. "
                                        "Void or delete the copy in Xero first to move it.")
    invoice.entity = entity


def create_invoice(data: InvoiceData, created_by_id: int | None = None) -> Invoice:
    """Create a draft invoice with its lines and totals, numbered, in one transaction."""
    try:
        # The number comes first: the pending invoice must not be flushed without one.
        entity = entity_of(data)
        invoice = Invoice(number=next_invoice_number(entity, data.issue_date), entity=entity,
                          created_by_id=created_by_id)
        invoice.status = "draft"
        _fill(invoice, data)
        db.session.add(invoice)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return invoice


def update_invoice(invoice_id: int, data: InvoiceData) -> Invoice:
    """Replace an invoice's header and lines and recompute its totals; the number stays."""
    try:
        invoice = db.session.get(Invoice, invoice_id)
        if invoice is None:
            raise LookupError(f"No invoice {invoice_id}.")
        before = copied_content(invoice)
        change_entity(invoice, data.entity_id)
        _fill(invoice, data)
        if copied_content(invoice) != before:
            invoice.edited_at = utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return invoice


def copied_content(invoice: Invoice) -> tuple:
    """What a copy to Xero sends of the invoice: a change to it marks the invoice as changed
    since it was copied."""
    return (invoice.client_id, invoice.subject, invoice.purchase_order_number, invoice.currency,
            invoice.issue_date, invoice.due_date, invoice.number,
            tuple((line.description, line.quantity, line.unit_price, line.service_type_id,
                   line.tax_rate_id, line.discount_percent) for line in invoice.lines))


def set_status(invoice_id: int, status: str) -> Invoice:
    """Mark an invoice as sent or back to draft (voiding is void_invoice's, with its copies)."""
    if status not in SWITCHABLE_STATUSES:
        raise InvoiceError("status", f"Status must be one of: {', '.join(SWITCHABLE_STATUSES)}.")
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        raise LookupError(f"No invoice {invoice_id}.")
    if invoice.status == "voided":
        raise InvoiceError("status", f"Invoice {invoice.number} is voided: its status no longer changes.")
    invoice.status = status
    db.session.commit()
    return invoice


def void_invoice(invoice: Invoice) -> None:
    """Mark the invoice voided: nothing is owed on it any more (the caller commits, once its
    copies in Xero have ended or the person chose to void it in Bridge only)."""
    invoice.status = "voided"


def delete_invoice(invoice: Invoice) -> list[Path]:
    """Delete a draft invoice with its lines, custom values and supporting files, and Bridge's
    record of its copies (all ended in Xero by then); activity log entries stay, unlinked.
    The caller commits, then removes the files' stored paths this returns (files.unlink_all)."""
    if invoice.payments:
        raise InvoiceError("status", f"Invoice {invoice.number} has payments recorded: void it instead.")
    if invoice.credit_notes:
        raise InvoiceError("status", f"Invoice {invoice.number} has credit notes: void it instead.")
    stored = files.forget_all(files.Owner(invoice_id=invoice.id))
    db.session.execute(delete(XeroCopy).where(XeroCopy.invoice_id == invoice.id))
    db.session.execute(delete(XeroDocument).where(XeroDocument.invoice_id == invoice.id))
    db.session.execute(update(XeroActivity).where(XeroActivity.invoice_id == invoice.id).values(invoice_id=None))
    db.session.delete(invoice)
    db.session.flush()
    return stored


def _fill(invoice: Invoice, data: InvoiceData) -> None:
    """Copy header and lines onto the invoice and compute its totals (no commit)."""
    if not data.lines:
        raise InvoiceError("lines", "Add at least one line.")
    if len(data.lines) > MAX_LINES:
        raise InvoiceError("lines", f"An invoice holds at most {MAX_LINES} lines.")
    if data.due_date < data.issue_date:
        raise InvoiceError("due_date", "The due date cannot be before the issue date.")
    client = db.session.get(Company, data.client_id)
    if client is None:
        raise InvoiceError("client_id", "Pick a client from the list.")
    invoice.client = client
    invoice.subject = data.subject
    invoice.purchase_order_number = data.purchase_order_number
    invoice.currency = data.currency or client.default_currency
    invoice.issue_date, invoice.due_date = data.issue_date, data.due_date
    invoice.notes = data.notes
    invoice.lines = _build_lines(data.lines)
    apply_totals(invoice)


def _build_lines(lines: tuple[LineData, ...]) -> list[InvoiceLine]:
    """InvoiceLine objects with their service type and tax rate objects attached (for totals)."""
    types = _by_id(ServiceType, {line.service_type_id for line in lines})
    rates = _by_id(TaxRate, {line.tax_rate_id for line in lines})
    built = []
    for position, line in enumerate(lines):
        if line.service_type_id and line.service_type_id not in types:
            raise InvoiceError(f"lines-{position}-service_type_id", "Pick a service type from the list.")
        if line.tax_rate_id and line.tax_rate_id not in rates:
            raise InvoiceError(f"lines-{position}-tax_rate_id", "Pick a tax rate from the list.")
        built.append(InvoiceLine(
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            service_type=types.get(line.service_type_id),
            tax_rate=rates.get(line.tax_rate_id),
        ))
    return built


def _by_id(model, ids: set) -> dict:
    """{id: row} of `model` for the given ids, in one query."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {item.id: item for item in db.session.scalars(select(model).where(model.id.in_(ids)))}


def active_choices(model, keep_ids=()) -> list[tuple[str, str]]:
    """Non-archived rows of `model` (ServiceType, TaxRate) by name, plus archived ones still in use."""
    keep = {id_ for id_ in keep_ids if id_ is not None}
    condition = model.archived.is_(False)
    if keep:
        condition = condition | model.id.in_(keep)
    rows = db.session.execute(
        select(model.id, model.name, model.archived).where(condition).order_by(func.lower(model.name))
    )
    return [(str(id_), f"{name} (archived)" if archived else name) for id_, name, archived in rows]
