"""The "Xero" side of the demo: a small web UI per organisation, no login.

This package owns the `ui` blueprint: organisations, documents (invoices, bills and credit
notes), payments, approve and void here; creating, allocating and refunding credit notes in
credit_notes.py. It may import the sandbox's accounting functions and models, never Bridge.
Forms post without CSRF tokens: this is a local demo tool for one person (see the
README). Actions go through the same functions as the API.
"""
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from bridge.xero_sandbox import clock, wire
from bridge.xero_sandbox.accounting import documents, payments, validation
from bridge.xero_sandbox.accounting.creditnotes import TARGET_TYPE
from bridge.xero_sandbox.accounting.creditnotes import TYPES as CREDIT_TYPES
from bridge.xero_sandbox.accounting.history import history_json
from bridge.xero_sandbox.accounting.serialize import live_allocations
from bridge.xero_sandbox.accounting.themes import document_theme
from bridge.xero_sandbox.db import HistoryRecord, Invoice, Organisation, Payment, db

bp = Blueprint("ui", __name__)
STATUS_LABELS = {"DRAFT": "Draft", "SUBMITTED": "Awaiting Approval", "AUTHORISED": "Awaiting Payment",
                 "PAID": "Paid", "VOIDED": "Voided", "DELETED": "Deleted"}


@bp.app_template_filter("status_label")
def status_label(status: str) -> str:
    """Xero's UI words for a status."""
    return STATUS_LABELS.get(status, status.title())


@bp.app_template_filter("money")
def money(value) -> str:
    """1234.5 -> 1,234.50."""
    return f"{wire.money(value or 0):,.2f}"


@bp.app_template_filter("file_size")
def file_size(length: int) -> str:
    """812 -> 812 bytes, 48213 -> 47.1 KB, 3250000 -> 3.1 MB."""
    if length < 1024:
        return f"{length} bytes"
    if length < 1024 * 1024:
        return f"{length / 1024:.1f} KB"
    return f"{length / (1024 * 1024):.1f} MB"


def org_or_404(tenant_id: str) -> Organisation:
    """The organisation of the URL, or 404."""
    org = db.session.get(Organisation, tenant_id.lower())
    if org is None:
        abort(404)
    return org


def document_or_404(org: Organisation, doc_id: str) -> Invoice:
    """A document of that organisation, or 404."""
    doc = db.session.get(Invoice, doc_id.lower())
    if doc is None or doc.org_id != org.id:
        abort(404)
    return doc


@bp.get("/ui/")
@bp.get("/ui")
def legacy_root():
    """Short alias for the UI."""
    return redirect(url_for("ui.index"))


@bp.get("/_ui/")
def index():
    """The demo organisations."""
    organisations = db.session.scalars(db.select(Organisation).order_by(Organisation.name)).all()
    return render_template("ui_index.html", organisations=organisations)


@bp.get("/_ui/<tenant_id>/")
def organisation(tenant_id):
    """Sales invoices, bills and credit notes of one organisation."""
    org = org_or_404(tenant_id)
    docs = db.session.scalars(db.select(Invoice).filter_by(org_id=org.id)
                              .order_by(Invoice.date.desc(), Invoice.created_utc.desc())).all()
    return render_template(
        "ui_organisation.html", org=org,
        invoices=[d for d in docs if d.type == "ACCREC"], bills=[d for d in docs if d.type == "ACCPAY"],
        credit_notes=[d for d in docs if d.type in CREDIT_TYPES],
    )


def open_invoices(note: Invoice) -> list[Invoice]:
    """The invoices (or bills) a credit note may be allocated to: same contact and currency,
    approved, something still due."""
    return list(db.session.scalars(db.select(Invoice).where(
        Invoice.org_id == note.org_id, Invoice.type == TARGET_TYPE[note.type],
        Invoice.contact_id == note.contact_id, Invoice.currency_code == note.currency_code,
        Invoice.status == "AUTHORISED", Invoice.amount_due > 0).order_by(Invoice.date, Invoice.number)))


def show(org: Organisation, doc: Invoice, message: str | None = None, status: int = 200,
          form=None, errors: dict | None = None, action: str | None = None):
    """Render one document with its lines, payments, credits, history and action forms.

    After a refused form, `form` holds what was typed (shown again, nothing lost), `errors`
    the messages by field and `action` which form they belong to."""
    history = db.session.scalars(db.select(HistoryRecord).filter_by(document_id=doc.id)
                                 .order_by(HistoryRecord.date_utc, HistoryRecord.id)).all()
    banks = [a for a in validation.accounts(org.id)
             if a.status == "ACTIVE" and (a.type == "BANK" or a.enable_payments)]
    allocations = live_allocations(doc, as_credit_note=doc.is_credit_note)
    template = "ui_credit_note.html" if doc.is_credit_note else "ui_invoice.html"
    return render_template(
        template, org=org, doc=doc, history=[history_json(h) for h in history],
        banks=banks, allocations=allocations, message=message, today=clock.now().date().isoformat(),
        payments=sorted(doc.payments, key=lambda p: p.created_utc), theme=document_theme(doc),
        open_invoices=open_invoices(doc) if doc.is_credit_note and doc.status == "AUTHORISED" else [],
        form=form or {}, errors=errors or {}, action=action,
    ), status


def read_amount(raw: str, errors: dict, field: str = "amount") -> Decimal | None:
    """A positive amount typed in a form, or a message for that field."""
    try:
        amount = Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation:
        errors[field] = "Enter an amount, e.g. 115.00."
        return None
    if not amount.is_finite() or amount <= 0:
        errors[field] = "Enter an amount greater than zero."
        return None
    if amount != wire.money(amount):
        errors[field] = "Use at most two decimal places."
        return None
    return amount


def read_day(raw: str, errors: dict, field: str = "date"):
    """A date typed in a form (YYYY-MM-DD), or a message for that field."""
    try:
        return wire.parse_day(str(raw).strip())
    except wire.BadValue:
        errors[field] = "Enter a date as YYYY-MM-DD."
        return None


@bp.get("/_ui/<tenant_id>/invoices/<doc_id>")
def invoice(tenant_id, doc_id):
    """One document."""
    org = org_or_404(tenant_id)
    return show(org, document_or_404(org, doc_id))


@bp.get("/_ui/<tenant_id>/invoices/<doc_id>/attachments/<attachment_id>")
def attachment(tenant_id, doc_id, attachment_id):
    """Download one attached file."""
    org = org_or_404(tenant_id)
    found = next((a for a in document_or_404(org, doc_id).attachments if a.id == attachment_id.lower()), None)
    if found is None:
        abort(404)
    disposition = f"attachment; filename*=UTF-8''{quote(found.file_name, safe='')}"
    return Response(found.content, content_type=found.mime_type,
                    headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"})


@bp.post("/_ui/<tenant_id>/invoices/<doc_id>/payments")
def add_payment(tenant_id, doc_id):
    """Record a full or partial payment (on a credit note: a cash refund of its credit)."""
    org = org_or_404(tenant_id)
    doc = document_or_404(org, doc_id)
    form = request.form
    fields: dict = {}
    amount, day = read_amount(form.get("amount", ""), fields), read_day(form.get("date", ""), fields)
    if fields:
        return show(org, doc, "Check the highlighted fields.", 400, form, fields, "payment")
    account, problem = payments.payment_account(org.id, {"AccountID": form.get("account_id", "")})
    errors = payments.payment_problems(doc, amount) + ([problem] if problem else [])
    if errors:
        return show(org, doc, " ".join(errors), 400, form, {}, "payment")
    payments.record_payment(org, doc, account, amount, day, form.get("reference", ""), "ui")
    return redirect(url_for("ui.invoice", tenant_id=org.id, doc_id=doc.id), code=303)


@bp.post("/_ui/<tenant_id>/payments/<payment_id>/delete")
def remove_payment(tenant_id, payment_id):
    """Remove a payment (Xero's "Remove & Redo")."""
    org = org_or_404(tenant_id)
    payment = db.session.get(Payment, payment_id.lower())
    if payment is None or payment.org_id != org.id:
        abort(404)
    errors = payments.delete_payment(payment)
    if errors:
        return show(org, payment.invoice, " ".join(errors), 400)
    return redirect(url_for("ui.invoice", tenant_id=org.id, doc_id=payment.invoice_id), code=303)


def _change_status(tenant_id: str, doc_id: str, status: str):
    """Move a document to another status through the API's own rules."""
    org = org_or_404(tenant_id)
    doc = document_or_404(org, doc_id)
    outcome = documents.update(org, doc, {"Status": status}, unitdp=2)
    if outcome.errors:
        db.session.rollback()
        return show(org, document_or_404(org, doc_id), " ".join(outcome.errors), 400)
    return redirect(url_for("ui.invoice", tenant_id=org.id, doc_id=doc.id), code=303)


@bp.post("/_ui/<tenant_id>/invoices/<doc_id>/void")
def void(tenant_id, doc_id):
    """Void an approved document that has nothing applied."""
    return _change_status(tenant_id, doc_id, "VOIDED")


@bp.post("/_ui/<tenant_id>/invoices/<doc_id>/approve")
def approve(tenant_id, doc_id):
    """Approve a draft or submitted document."""
    return _change_status(tenant_id, doc_id, "AUTHORISED")


from bridge.xero_sandbox.ui import credit_notes  # noqa: E402,F401  (routes register on bp)
