"""Credit notes in the demo UI: create one for a contact (one line), allocate it to an open
invoice of the same contact, remove an allocation. Approve, void and refunds (a payment on
the credit note) are the document page's own forms (ui/__init__.py). Every action goes
through the functions the API uses, so the UI keeps Xero's rules (notes §10.3, §13.5, §19).
"""
from flask import abort, redirect, render_template, request, url_for

from bridge.xero_sandbox import clock
from bridge.xero_sandbox.accounting import creditnotes, documents, validation
from bridge.xero_sandbox.accounting.invoices import find
from bridge.xero_sandbox.db import Allocation, Contact, Organisation, db
from bridge.xero_sandbox.ui import bp, document_or_404, org_or_404, read_amount, read_day, show

KINDS = {"ACCRECCREDIT": "Sales credit note (to a customer)", "ACCPAYCREDIT": "Purchase credit note (from a supplier)"}


def _choices(org: Organisation) -> dict:
    """What the new credit note form offers: contacts, line accounts, tax rates, currencies."""
    contacts = db.session.scalars(db.select(Contact).filter_by(org_id=org.id, status="ACTIVE")
                                  .order_by(Contact.name)).all()
    accounts = [a for a in validation.accounts(org.id) if a.status == "ACTIVE" and a.type not in
                validation.LINE_FORBIDDEN_TYPES and not a.system_account and a.account_class in ("REVENUE", "EXPENSE")]
    rates = [r for r in validation.tax_rates(org.id).values() if r.status == "ACTIVE"]
    return {"contacts": contacts, "accounts": sorted(accounts, key=lambda a: a.code),
            "rates": sorted(rates, key=lambda r: r.tax_type), "currencies": org.currency_list, "kinds": KINDS}


def _new_form(org: Organisation, form: dict, errors: dict, message: str | None = None, status: int = 200):
    """The new credit note page (again, with what was typed, after a refusal)."""
    return render_template("ui_credit_note_new.html", org=org, form=form, errors=errors, message=message,
                           **_choices(org)), status


@bp.get("/_ui/<tenant_id>/credit-notes/new")
def new_credit_note(tenant_id):
    """A simple credit note form: contact, one line, draft or approved."""
    org = org_or_404(tenant_id)
    defaults = {"type": request.args.get("type", "ACCRECCREDIT"), "date": clock.now().date().isoformat(),
                "currency": org.base_currency, "contact_id": request.args.get("contact_id", "")}
    sales = defaults["type"] == "ACCRECCREDIT"
    defaults["account_code"] = "200" if sales else "429"
    account = next((a for a in validation.accounts(org.id) if a.code == defaults["account_code"]), None)
    defaults["tax_type"] = validation.default_tax_type(org.id, sales, account)
    return _new_form(org, defaults, {})


def _payload(org: Organisation, form, errors: dict) -> dict | None:
    """The API payload for the typed credit note, or None with the field messages."""
    kind = form.get("type", "")
    if kind not in KINDS:
        errors["type"] = "Choose a sales or a purchase credit note."
    contact = db.session.get(Contact, form.get("contact_id", "").lower())
    if contact is None or contact.org_id != org.id or contact.status != "ACTIVE":
        errors["contact_id"] = "Choose a contact."
    if not form.get("description", "").strip():
        errors["description"] = "Say what the credit is for."
    amount = read_amount(form.get("amount", ""), errors)
    day = read_day(form.get("date", ""), errors)
    if errors:
        return None
    return {
        "Type": kind, "Contact": {"ContactID": contact.id}, "Date": day.isoformat(),
        "Status": "AUTHORISED" if form.get("status") == "AUTHORISED" else "DRAFT",
        "Reference": form.get("reference", "").strip(), "CurrencyCode": form.get("currency", org.base_currency),
        "LineAmountTypes": "Exclusive",
        "LineItems": [{"Description": form.get("description", "").strip(), "Quantity": 1, "UnitAmount": amount,
                       "AccountCode": form.get("account_code", ""), "TaxType": form.get("tax_type", "")}],
    }


@bp.post("/_ui/<tenant_id>/credit-notes/new")
def create_credit_note(tenant_id):
    """Create the credit note through the API's rules; a refusal keeps everything typed."""
    org = org_or_404(tenant_id)
    form, errors = request.form, {}
    payload = _payload(org, form, errors)
    if payload is None:
        return _new_form(org, form, errors, "Check the highlighted fields.", 400)
    outcome = documents.create(org, payload, creditnotes.TYPES, 2, None)
    if outcome.errors:
        db.session.rollback()
        return _new_form(org, form, {}, " ".join(outcome.errors), 400)
    return redirect(url_for("ui.invoice", tenant_id=org.id, doc_id=outcome.document.id), code=303)


@bp.post("/_ui/<tenant_id>/invoices/<doc_id>/allocations")
def allocate(tenant_id, doc_id):
    """Apply some of a credit note to an open invoice of the same contact."""
    org = org_or_404(tenant_id)
    note = document_or_404(org, doc_id)
    if not note.is_credit_note:
        abort(404)
    form, fields = request.form, {}
    invoice = find(org.id, form.get("invoice_id", "")) if form.get("invoice_id") else None
    if invoice is None:
        fields["invoice_id"] = "Choose an invoice."
    amount, day = read_amount(form.get("amount", ""), fields), read_day(form.get("date", ""), fields)
    if fields:
        return show(org, note, "Check the highlighted fields.", 400, form, fields, "allocate")
    problems = creditnotes.allocation_problems(note, invoice, amount)
    if problems:
        return show(org, note, " ".join(problems), 400, form, {}, "allocate")
    creditnotes.allocate(note, invoice, amount, day)
    return redirect(url_for("ui.invoice", tenant_id=org.id, doc_id=note.id), code=303)


@bp.post("/_ui/<tenant_id>/allocations/<allocation_id>/delete")
def remove_allocation(tenant_id, allocation_id):
    """Remove an allocation; back to the page it was removed from (credit note or invoice)."""
    org = org_or_404(tenant_id)
    allocation = db.session.get(Allocation, allocation_id.lower())
    if allocation is None or allocation.org_id != org.id or allocation.is_deleted:
        abort(404)
    back = request.form.get("back", "")
    back = back if back in (allocation.invoice_id, allocation.credit_note_id) else allocation.credit_note_id
    creditnotes.remove_allocation(allocation)
    return redirect(url_for("ui.invoice", tenant_id=org.id, doc_id=back), code=303)
