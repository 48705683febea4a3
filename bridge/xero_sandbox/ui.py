"""The "Xero" side of the demo: a small web UI per organisation, no login.

Forms post without CSRF tokens: this is a local demo tool for one person (see the
README). Actions go through the same functions as the API.
"""
from decimal import Decimal

from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from bridge.xero_sandbox import clock, wire
from bridge.xero_sandbox.accounting import documents, payments, validation
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


def _org(tenant_id: str) -> Organisation:
    """The organisation of the URL, or 404."""
    org = db.session.get(Organisation, tenant_id.lower())
    if org is None:
        abort(404)
    return org


def _document(org: Organisation, doc_id: str) -> Invoice:
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
    org = _org(tenant_id)
    docs = db.session.scalars(db.select(Invoice).filter_by(org_id=org.id)
                              .order_by(Invoice.date.desc(), Invoice.created_utc.desc())).all()
    return render_template(
        "ui_organisation.html", org=org,
        invoices=[d for d in docs if d.type == "ACCREC"], bills=[d for d in docs if d.type == "ACCPAY"],
        credit_notes=[d for d in docs if d.type in CREDIT_TYPES],
    )


def _show(org: Organisation, doc: Invoice, message: str | None = None, status: int = 200):
    """Render one document with its lines, payments, credits, history and action forms."""
    history = db.session.scalars(db.select(HistoryRecord).filter_by(document_id=doc.id)
                                 .order_by(HistoryRecord.date_utc, HistoryRecord.id)).all()
    banks = [a for a in validation.accounts(org.id)
             if a.status == "ACTIVE" and (a.type == "BANK" or a.enable_payments)]
    allocations = live_allocations(doc, as_credit_note=doc.is_credit_note)
    return render_template(
        "ui_invoice.html", org=org, doc=doc, history=[history_json(h) for h in history],
        banks=banks, allocations=allocations, message=message, today=clock.now().date().isoformat(),
        payments=sorted(doc.payments, key=lambda p: p.created_utc), theme=document_theme(doc),
    ), status


@bp.get("/_ui/<tenant_id>/invoices/<doc_id>")
def invoice(tenant_id, doc_id):
    """One document."""
    org = _org(tenant_id)
    return _show(org, _document(org, doc_id))


@bp.get("/_ui/<tenant_id>/invoices/<doc_id>/attachments/<attachment_id>")
def attachment(tenant_id, doc_id, attachment_id):
    """Download one attached file."""
    org = _org(tenant_id)
    found = next((a for a in _document(org, doc_id).attachments if a.id == attachment_id.lower()), None)
    if found is None:
        abort(404)
    disposition = f"attachment; filename*=UTF-8''{quote(found.file_name, safe='')}"
    return Response(found.content, content_type=found.mime_type,
                    headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"})


@bp.post("/_ui/<tenant_id>/invoices/<doc_id>/payments")
def add_payment(tenant_id, doc_id):
    """Record a full or partial payment."""
    org = _org(tenant_id)
    doc = _document(org, doc_id)
    form = request.form
    try:
        amount = wire.to_decimal(form.get("amount", ""), "Amount")
        day = wire.parse_day(form.get("date", ""))
    except wire.BadValue as exc:
        return _show(org, doc, str(exc), 400)
    account, problem = payments.payment_account(org.id, {"AccountID": form.get("account_id", "")})
    errors = payments.payment_problems(doc, amount) + ([problem] if problem else [])
    if errors:
        return _show(org, doc, " ".join(errors), 400)
    payments.record_payment(org, doc, account, Decimal(amount), day, form.get("reference", ""), "ui")
    return redirect(url_for("ui.invoice", tenant_id=org.id, doc_id=doc.id), code=303)


@bp.post("/_ui/<tenant_id>/payments/<payment_id>/delete")
def remove_payment(tenant_id, payment_id):
    """Remove a payment (Xero's "Remove & Redo")."""
    org = _org(tenant_id)
    payment = db.session.get(Payment, payment_id.lower())
    if payment is None or payment.org_id != org.id:
        abort(404)
    errors = payments.delete_payment(payment)
    if errors:
        return _show(org, payment.invoice, " ".join(errors), 400)
    return redirect(url_for("ui.invoice", tenant_id=org.id, doc_id=payment.invoice_id), code=303)


def _change_status(tenant_id: str, doc_id: str, status: str):
    """Move a document to another status through the API's own rules."""
    org = _org(tenant_id)
    doc = _document(org, doc_id)
    outcome = documents.update(org, doc, {"Status": status}, unitdp=2)
    if outcome.errors:
        db.session.rollback()
        return _show(org, _document(org, doc_id), " ".join(outcome.errors), 400)
    return redirect(url_for("ui.invoice", tenant_id=org.id, doc_id=doc.id), code=303)


@bp.post("/_ui/<tenant_id>/invoices/<doc_id>/void")
def void(tenant_id, doc_id):
    """Void an approved document that has nothing applied."""
    return _change_status(tenant_id, doc_id, "VOIDED")


@bp.post("/_ui/<tenant_id>/invoices/<doc_id>/approve")
def approve(tenant_id, doc_id):
    """Approve a draft or submitted document."""
    return _change_status(tenant_id, doc_id, "AUTHORISED")
