"""Creating and editing invoices: the form, Add line, the live totals preview, and Save and copy to Xero."""
import json
import re

from flask import abort, flash, render_template, request, url_for
from flask_login import current_user

from bridge.bounds import id_arg
from bridge.invoicing import bp
from bridge.invoicing.forms import InvoiceForm, LineForm
from bridge.invoicing.responses import go_to
from bridge.xero.settings.readiness import every_readiness, readiness
from bridge.billing.service import (
    MAX_LINES, InvoiceError, create_invoice, editor_choices, get_invoice, invoice_form_data,
    new_invoice_defaults, preview_totals, update_invoice,
)

_LINE_KEY = re.compile(r"^lines-([0-9]{1,4})-")


@bp.route("/invoices/new", methods=["GET", "POST"])
def new():
    """A new invoice; saved as a draft with the next number."""
    form = InvoiceForm() if request.method == "POST" else InvoiceForm(data=new_invoice_defaults())
    return _handle(form, invoice=None)


@bp.route("/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
def edit(invoice_id: int):
    """Change an invoice's header and lines; the number stays. A voided invoice no longer changes."""
    invoice = get_invoice(invoice_id) or abort(404)
    if invoice.voided:
        flash(f"Invoice {invoice.number} is voided: it no longer changes.", "info")
        return go_to(url_for("invoicing.show", invoice_id=invoice.id))
    form = InvoiceForm() if request.method == "POST" else InvoiceForm(data=invoice_form_data(invoice))
    return _handle(form, invoice=invoice)


@bp.post("/invoices/lines")
def add_line():
    """One empty line row, numbered after the highest line index posted with the form."""
    indices = {int(m.group(1)) for key in request.form if (m := _LINE_KEY.match(key))}
    if len(indices) >= MAX_LINES:
        # Nothing is swapped (the lines typed stay as they are); the page shows the message.
        return "", 422, {"HX-Reswap": "none",
                         "HX-Trigger": json.dumps({"showMessage": f"An invoice holds at most {MAX_LINES} lines."})}
    index = max(indices, default=-1) + 1
    line = LineForm(prefix=f"lines-{index}")
    choices = editor_choices()
    line.set_choices(choices.service_types, choices.tax_rates)
    return render_template("invoicing/_line_row.html", line=line, position=index)


@bp.post("/invoices/preview")
def preview():
    """The totals of the form as typed so far; lines with errors are left out and counted."""
    invoice_id = id_arg("invoice_id")
    invoice = get_invoice(invoice_id) if invoice_id else None
    choices = editor_choices(invoice)
    form = InvoiceForm()
    form.set_choices(choices, new=invoice is None)
    form.validate()
    return render_template("invoicing/_totals.html", **_totals_context(form, choices))


def _handle(form: InvoiceForm, invoice):
    """Shared by new and edit: no-JS Add/Remove line, validation, save."""
    choices = editor_choices(invoice)
    form.set_choices(choices, new=invoice is None)
    if request.method != "POST":
        return _render(form, choices, invoice)
    if "add_line" in request.form:
        if len(form.lines.entries) >= MAX_LINES:
            form.form_errors.append(f"An invoice holds at most {MAX_LINES} lines.")
            return _render(form, choices, invoice, status=422)
        form.lines.append_entry()
        form.set_choices(choices, new=invoice is None)
        return _render(form, choices, invoice)
    if "remove_line" in request.form:
        position = request.form.get("remove_line", type=int)
        if position is not None and 0 <= position < len(form.lines.entries):
            form.lines.entries.pop(position)
        return _render(form, choices, invoice)
    if form.validate():
        try:
            if invoice is None:
                saved = create_invoice(form.to_data(), created_by_id=current_user.id)
                flash(f"Invoice {saved.number} created.", "success")
            else:
                saved = update_invoice(invoice.id, form.to_data())
                flash(f"Invoice {saved.number} saved.", "success")
            then_copy = request.form.get("then") == "copy_to_xero"
            return go_to(url_for("invoicing.show", invoice_id=saved.id, **({"xero": "copy"} if then_copy else {})))
        except InvoiceError as error:
            _attach_error(form, error)
    return _render(form, choices, invoice, status=422)


def _render(form: InvoiceForm, choices, invoice, status: int = 200):
    """The editor page with its totals."""
    if invoice is not None and invoice.xero_status not in (None, "VOIDED", "DELETED"):
        form.entity_id.description = (f"Its copy in Xero lives in {invoice.entity.name}'s organisation: "
                                      "the invoice stays with this entity while that copy is live.")
    return render_template(
        "invoicing/form.html", form=form, invoice=invoice, choices=choices,
        xero_ready=_xero_ready(invoice), **_totals_context(form, choices),
    ), status


def _xero_ready(invoice) -> bool:
    """Whether "Save and copy to Xero" can work: the invoice's billing entity's organisation is
    ready (a new invoice's entity is its client's: any entity's will do)."""
    if invoice is not None:
        return readiness(invoice.entity_id).ready
    return any(ready.ready for ready in every_readiness())


def _totals_context(form: InvoiceForm, choices) -> dict:
    """Totals of the lines whose amounts are complete and valid; lines with bad amounts are counted."""
    lines, skipped = [], 0
    for entry in form.lines:
        line = entry.form
        amount_fields = (line.quantity, line.unit_price, line.discount_percent, line.tax_rate_id)
        if any(field.errors for field in amount_fields):
            skipped += 1
        elif line.quantity.data is not None and line.unit_price.data is not None:
            lines.append(line.to_data())
    typed = form.currency.data if not form.currency.errors else None
    currency = typed or choices.client_currencies.get(form.client_id.data or "", "")
    return {"totals": preview_totals(lines), "currency": currency, "skipped": skipped}


def _attach_error(form: InvoiceForm, error: InvoiceError) -> None:
    """Show a refusal from the service at the field it names."""
    if error.field.startswith("lines-"):
        _, position, name = error.field.split("-", 2)
        form.lines.entries[int(position)].form[name].errors.append(error.message)
    elif error.field in form and error.field != "lines":
        form[error.field].errors.append(error.message)
    else:
        form.form_errors.append(error.message)
