"""Custom field cells edited in place: show, edit, save (each answers with the cell partial)."""
from flask import abort, render_template, request

from bridge.extensions import db
from bridge.invoicing import bp
from bridge.invoicing.custom_values import CustomValueError, current_value, editable_field, set_value
from bridge.models import Invoice

CELL = "invoicing/_custom_cell.html"


def _invoice_and_field(invoice_id: int, field_id: int):
    """The invoice and the editable field, or 404."""
    invoice = db.session.get(Invoice, invoice_id)
    field = editable_field(field_id)
    if invoice is None or field is None:
        abort(404)
    return invoice, field


@bp.get("/invoices/<int:invoice_id>/fields/<int:field_id>")
def custom_cell(invoice_id: int, field_id: int):
    """The cell as shown in the table (Cancel comes back here)."""
    invoice, field = _invoice_and_field(invoice_id, field_id)
    return render_template(CELL, invoice_id=invoice.id, field=field, value=current_value(invoice.id, field.id))


@bp.get("/invoices/<int:invoice_id>/fields/<int:field_id>/edit")
def edit_custom_cell(invoice_id: int, field_id: int):
    """The cell with an input of the field's type."""
    invoice, field = _invoice_and_field(invoice_id, field_id)
    value = current_value(invoice.id, field.id)
    return render_template(CELL, invoice_id=invoice.id, field=field, value=value, raw=value or "", editing=True)


@bp.post("/invoices/<int:invoice_id>/fields/<int:field_id>")
def save_custom_cell(invoice_id: int, field_id: int):
    """Save the typed value (empty clears it); a bad value comes back in the cell with 422."""
    invoice, field = _invoice_and_field(invoice_id, field_id)
    raw = request.form.get("value", "")
    try:
        value = set_value(invoice, field, raw)
    except CustomValueError as error:
        return render_template(
            CELL, invoice_id=invoice.id, field=field, raw=raw, error=str(error), editing=True
        ), 422
    return render_template(CELL, invoice_id=invoice.id, field=field, value=value)
