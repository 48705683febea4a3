"""Creating and updating documents (invoices, bills, credit notes): lines, totals, rules.

A document is built or changed in the session, checked, and then either committed or
serialised with its errors and rolled back: each element of a batch stands alone, as
Xero's batches are not transactional.
"""
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from bridge.xero_sandbox import clock, wire
from bridge.xero_sandbox.accounting import history, themes, tracking
from bridge.xero_sandbox.accounting import validation as v
from bridge.xero_sandbox.db import ZERO, Allocation, Invoice, LineItem, Organisation, db, new_id

LINE_AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}
HUNDRED = Decimal(100)


@dataclass
class Outcome:
    """What happened to one element: the document (saved or not) and any messages."""

    document: Invoice | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _financial_state(doc: Invoice) -> tuple:
    """The fields that payments and credits lock (notes §10.3)."""
    lines = tuple((l.description, l.quantity, l.unit_amount, l.account_code, l.tax_type,
                   l.line_amount, l.discount_rate) for l in doc.lines)
    return (doc.contact_id, doc.date, doc.currency_code, doc.line_amount_types, lines)


def _applied(doc: Invoice) -> bool:
    """Whether a payment or credit has been applied to the document."""
    return doc.amount_paid > 0 or doc.amount_credited > 0


def create(org: Organisation, payload: dict, types: tuple[str, ...], unitdp: int, client_id: str) -> Outcome:
    """Build a new document from a payload; commit it if valid."""
    # Column defaults apply only on INSERT; an echoed invalid document needs them too.
    doc = Invoice(id=new_id(), org_id=org.id, number="", reference="", url="", sent_to_contact=False,
                  amount_paid=ZERO, amount_credited=ZERO, total_discount=ZERO,
                  currency_rate=Decimal("1"), created_by_client=client_id)
    sent_type = str(payload.get("Type") or "").upper()
    errors = [] if sent_type in types else [v.TYPE_REQUIRED.format(types=" or ".join(types))]
    doc.type = sent_type if sent_type in types else types[0]
    outcome = _apply(org, doc, payload, creating=True, unitdp=unitdp)
    outcome.errors[:0] = errors
    return _finish(org, doc, outcome, creating=True)


def update(org: Organisation, doc: Invoice, payload: dict, unitdp: int) -> Outcome:
    """Change an existing document from a payload; commit if valid."""
    before = _financial_state(doc)
    current = doc.status
    outcome = _apply(org, doc, payload, creating=False, unitdp=unitdp)
    if _applied(doc) and _financial_state(doc) != before and v.LOCKED not in outcome.errors:
        outcome.errors.append(v.LOCKED)
    if current in ("VOIDED", "DELETED") and v.BAD_STATUS not in outcome.errors:
        outcome.errors.insert(0, v.BAD_STATUS)  # terminal documents accept no change at all
    return _finish(org, doc, outcome, creating=False, previous_status=current)


def _apply(org: Organisation, doc: Invoice, payload: dict, creating: bool, unitdp: int) -> Outcome:
    """Copy the payload's fields onto the document, collecting messages."""
    # No autoflush: half-built lines must not reach the database before totals exist.
    with db.session.no_autoflush:
        return _apply_fields(org, doc, payload, creating, unitdp)


def _apply_fields(org: Organisation, doc: Invoice, payload: dict, creating: bool, unitdp: int) -> Outcome:
    """The body of _apply, run without autoflush."""
    outcome = Outcome(doc)
    errors = outcome.errors
    if creating or "Contact" in payload:
        contact, problem = v.resolve_contact(org.id, payload.get("Contact"))
        if problem:
            errors.append(problem)
        elif contact is not None:
            doc.contact, doc.contact_id = contact, contact.id
    target = str(payload.get("Status") or ("DRAFT" if creating else doc.status)).upper()
    problem = v.transition_problem(None if creating else doc.status, target, _applied(doc))
    if problem:
        errors.append(problem)
    else:
        doc.status = target
    _apply_header(org, doc, payload, creating, outcome)
    if creating or "LineItems" in payload:
        _apply_lines(org, doc, payload.get("LineItems"), unitdp, errors)
    elif doc.status in ("SUBMITTED", "AUTHORISED") and any(not l.account_code for l in doc.lines):
        errors.append(v.ACCOUNT_REQUIRED)
    compute_totals(doc, v.tax_rates(org.id))
    return outcome


def _apply_header(org: Organisation, doc: Invoice, payload: dict, creating: bool, outcome: Outcome) -> None:
    """Dates, amounts type, currency, number, reference and links."""
    if creating or "Date" in payload:
        doc.date = wire.parse_day(payload["Date"]) if payload.get("Date") else clock.now().date()
    if "DueDate" in payload:
        doc.due_date = wire.parse_day(payload["DueDate"]) if payload.get("DueDate") else None
    if creating or "LineAmountTypes" in payload:
        sent = str(payload.get("LineAmountTypes") or "Exclusive")
        if sent.lower() not in LINE_AMOUNT_TYPES:
            outcome.errors.append(v.LINE_AMOUNT_TYPES)
        doc.line_amount_types = LINE_AMOUNT_TYPES.get(sent.lower(), "Exclusive")
    if creating or "CurrencyCode" in payload:
        code = str(payload.get("CurrencyCode") or org.base_currency).upper()
        problem = v.currency_problem(org, code)
        if problem:
            outcome.errors.append(problem)
        doc.currency_code = code
        # No exchange-rate feed in the sandbox: a sent rate is kept, otherwise 1.
        rate = payload.get("CurrencyRate")
        doc.currency_rate = wire.to_decimal(rate, "CurrencyRate") if rate else Decimal("1")
    number_key = "CreditNoteNumber" if doc.is_credit_note else "InvoiceNumber"
    if number_key in payload:
        doc.number = str(payload.get(number_key) or "")
    if "Reference" in payload:
        if doc.type == "ACCPAY":
            # Xero has no Reference on bills; the sandbox says so instead of dropping it silently.
            outcome.warnings.append("Reference is ignored on bills (ACCPAY): the bill's reference is its InvoiceNumber.")
        else:
            doc.reference = str(payload.get("Reference") or "")
    if "Url" in payload:
        doc.url = payload.get("Url") or ""
    if "BrandingThemeID" in payload:
        theme = payload.get("BrandingThemeID")
        problem = themes.theme_problem(org.id, theme)
        if problem:
            outcome.errors.append(problem)
        doc.branding_theme_id = str(theme).strip().lower() if theme and not problem else (theme or None)
    if "SentToContact" in payload:
        doc.sent_to_contact = bool(payload.get("SentToContact"))
    if doc.type == "ACCREC" and doc.number and _number_taken(org.id, doc):
        outcome.errors.append(v.NUMBER_TAKEN)


def _number_taken(org_id: str, doc: Invoice) -> bool:
    """Whether another live sales invoice has this number (deleted ones free theirs)."""
    clash = db.session.scalar(db.select(Invoice.id).where(
        Invoice.org_id == org_id, Invoice.type == "ACCREC", Invoice.number == doc.number,
        Invoice.status != "DELETED", Invoice.id != doc.id).limit(1))
    return clash is not None


def _number(raw: dict, key: str):
    """An optional number field of a line."""
    value = raw.get(key)
    return None if value is None or value == "" else wire.to_decimal(value, key)


def _apply_lines(org: Organisation, doc: Invoice, sent, unitdp: int, errors: list[str]) -> None:
    """Replace the lines: sent LineItemIDs keep their line, others are new, the rest go."""
    if not isinstance(sent, list) or not sent:
        errors.append(v.NO_LINES)
        doc.lines = []
        return
    existing = {line.id: line for line in doc.lines}
    lines = []
    for position, raw in enumerate(sent):
        if not isinstance(raw, dict):
            raise wire.BadValue("Each line item must be an object")
        line = existing.get(str(raw.get("LineItemID") or "").lower()) or LineItem(id=new_id())
        line.position = position
        _fill_line(org, doc, line, raw, unitdp, errors)
        lines.append(line)
    doc.lines = lines


def _fill_line(org: Organisation, doc: Invoice, line: LineItem, raw: dict, unitdp: int, errors: list[str]) -> None:
    """Amounts, account and tax type of one line."""
    quantity, unit, amount = _number(raw, "Quantity"), _number(raw, "UnitAmount"), _number(raw, "LineAmount")
    rate, discount = _number(raw, "DiscountRate"), _number(raw, "DiscountAmount")
    if (rate or discount) and doc.type != "ACCREC":
        errors.append(v.DISCOUNT_SALES_ONLY)
        rate = discount = None
    # Xero derives a missing Quantity or UnitAmount from LineAmount (notes §10.1).
    if quantity is None and unit is None:
        quantity, unit = (Decimal(1), amount) if amount is not None else (ZERO, ZERO)
    elif quantity is None:
        quantity = amount / unit if amount is not None and unit else Decimal(1)
    elif unit is None:
        unit = amount / quantity if amount is not None and quantity else ZERO
    line.quantity, line.unit_amount = wire.places(quantity, 4), wire.places(unit, unitdp)
    line.discount_rate, line.discount_amount = rate, discount
    line.description = str(raw.get("Description") or "")
    line.item_code = raw.get("ItemCode") or None
    line.tracking, problems = tracking.resolve_line_tracking(org.id, raw.get("Tracking"))
    errors.extend(problems)
    account, problem = v.line_account(org.id, raw.get("AccountCode"), raw.get("AccountID"))
    if problem:
        errors.append(problem)
    line.account_code = account.code if account else (str(raw["AccountCode"]) if raw.get("AccountCode") else None)
    line.account_id = account.id if account else None
    if account is None and not problem and doc.status in ("SUBMITTED", "AUTHORISED"):
        errors.append(v.ACCOUNT_REQUIRED)
    if doc.line_amount_types == "NoTax":
        line.tax_type = "NONE"
    elif raw.get("TaxType"):
        line.tax_type = str(raw["TaxType"])
        problem = v.tax_problem(org.id, line.tax_type, doc.is_sales, account)
        if problem:
            errors.append(problem)
    else:
        line.tax_type = v.default_tax_type(org.id, doc.is_sales, account)


def compute_totals(doc: Invoice, rates: dict) -> None:
    """Per-line tax rounded half-up to cents, then summed (notes §8); amounts due follow."""
    sub_total = total_tax = discount = ZERO
    for line in doc.lines:
        gross = line.quantity * line.unit_amount
        if line.discount_rate:
            line.line_amount = wire.money(gross * (HUNDRED - line.discount_rate) / HUNDRED)
        elif line.discount_amount:
            line.line_amount = wire.money(gross - line.discount_amount)
        else:
            line.line_amount = wire.money(gross)
        discount += wire.money(gross) - line.line_amount
        tax_rate = rates.get(line.tax_type)
        percent = tax_rate.rate if tax_rate is not None and doc.line_amount_types != "NoTax" else ZERO
        if doc.line_amount_types == "Inclusive":
            line.tax_amount = wire.money(line.line_amount * percent / (HUNDRED + percent))
            sub_total += line.line_amount - line.tax_amount
        else:
            line.tax_amount = wire.money(line.line_amount * percent / HUNDRED)
            sub_total += line.line_amount
        total_tax += line.tax_amount
    doc.sub_total, doc.total_tax = wire.money(sub_total), wire.money(total_tax)
    doc.total = wire.money(sub_total + total_tax)
    doc.total_discount = wire.money(discount)
    doc.amount_due = doc.total - (doc.amount_paid or ZERO) - (doc.amount_credited or ZERO)


def _finish(org: Organisation, doc: Invoice, outcome: Outcome, creating: bool,
            previous_status: str | None = None) -> Outcome:
    """Commit a valid document (numbering it, stamping it); keep an invalid one out."""
    now = clock.now()
    if outcome.errors:
        if doc.updated_utc is None:
            doc.updated_utc = now
        return outcome  # the caller serialises it, then rolls back
    if creating:
        doc.created_utc = now
        if not doc.number:
            doc.number = next_number(org, doc.type)
        db.session.add(doc)
        if doc.contact is not None and doc.contact not in db.session:
            db.session.add(doc.contact)
        _mark_contact(doc)
    doc.updated_utc = now
    history.record_change(doc, creating, previous_status)
    db.session.commit()
    return outcome


def _mark_contact(doc: Invoice) -> None:
    """IsCustomer / IsSupplier follow the contact's transactions."""
    if doc.is_sales:
        doc.contact.is_customer = True
    else:
        doc.contact.is_supplier = True


def next_number(org: Organisation, doc_type: str) -> str:
    """The next free INV-0001 style number (ACCREC) or CN-0001 (sales credit notes)."""
    if doc_type == "ACCREC":
        prefix, attr = "INV-", "next_invoice_number"
    elif doc_type == "ACCRECCREDIT":
        prefix, attr = "CN-", "next_credit_note_number"
    else:
        return ""  # bills and purchase credit notes carry the supplier's number, if any
    while True:
        sequence = getattr(org, attr)
        setattr(org, attr, sequence + 1)
        candidate = f"{prefix}{sequence:04d}"
        taken = db.session.scalar(db.select(Invoice.id).where(
            Invoice.org_id == org.id, Invoice.number == candidate, Invoice.type == doc_type,
            Invoice.status != "DELETED").limit(1))
        if taken is None:
            return candidate


def settle(doc: Invoice, today: dt.date | None = None) -> None:
    """Recompute paid/credited/due and PAID <-> AUTHORISED from payments and allocations."""
    paid = sum((p.amount for p in doc.payments if p.status == "AUTHORISED"), ZERO)
    column = Allocation.credit_note_id if doc.is_credit_note else Allocation.invoice_id
    # A fresh query, not the view-only credits lists, which may predate this request's change.
    allocations = list(db.session.scalars(db.select(Allocation).where(
        column == doc.id, Allocation.is_deleted.is_(False))))
    credited = sum((a.amount for a in allocations), ZERO)
    doc.amount_paid, doc.amount_credited = wire.money(paid), wire.money(credited)
    doc.amount_due = doc.total - doc.amount_paid - doc.amount_credited
    if doc.status not in ("AUTHORISED", "PAID"):
        return
    if doc.amount_due <= 0 and (paid > 0 or credited > 0):
        dates = [p.date for p in doc.payments if p.status == "AUTHORISED"] + [a.date for a in allocations]
        doc.status = "PAID"
        doc.fully_paid_on = max(dates) if dates else today
    else:
        doc.status = "AUTHORISED"
        doc.fully_paid_on = None
