"""The home page (Getting started, what needs attention, the invoice table), the invoice page
and its draft/sent switch."""
import json

from flask import abort, current_app, flash, render_template, request, url_for
from sqlalchemy import func, select

from bridge.auth.roles import admin_required
from bridge.bounds import page_number
from bridge.extensions import db
from bridge.forms import EmptyForm
from bridge.invoicing import attention, bp, getting_started, table
from bridge.invoicing.forms import InvoiceFilterForm, options
from bridge.invoicing.recording import payments_context, record
from bridge.invoicing.responses import go_to, is_htmx, page_or_partial
from bridge.billing.service import InvoiceError, get_invoice, set_status
from bridge.models import BillingEntity, Invoice
from bridge.invoicing.bulk_views import BulkSelectForm
from bridge.xero.invoices.bulk import plan as bulk_plan
from bridge.xero.invoices import options as copy_options
from bridge.xero.settings.readiness import Readiness, every_readiness, readiness


@bp.get("/")
def index():
    """The home page: Getting started or what needs attention, then the invoice table (search,
    filters, pagination, the custom field columns); HTMX gets the table alone."""
    form = InvoiceFilterForm(request.args)
    clients, entities = table.filter_choices()
    form.client.choices = options(clients, "Any client")
    form.entity.choices = options(entities, "Any entity")
    fields = table.table_fields()
    everyone = every_readiness()
    ready = any(xero.ready for xero in everyone)
    # Several billing entities: the table names each invoice's and filters by it.
    entity_names = dict(entities) if len(entities) > 1 else {}
    context = {"form": form, "fields": fields, "pagination": None, "values": {}, "xero_ready": ready,
               "entity_names": entity_names,
               "copying": set(), "refused": set(), "bulk_form": BulkSelectForm(formdata=None)}
    # The panels are the home page's; a filtered list (an attention item's link) is the list alone.
    if not is_htmx() and not form.query_args():
        context.update(home_panels(everyone))
    status = 200
    if form.validate():
        page = page_number()
        per_page = current_app.config.get("INVOICES_PER_PAGE", 25)
        pagination = table.invoice_page(form.to_filters(), page, per_page)
        context.update(pagination=pagination, values=table.values_by_invoice(pagination.items))
        if any(xero.tenant_id for xero in everyone):
            context["refused"] = table.refused_among([i.id for i in pagination.items])
        if ready:
            context["copying"] = bulk_plan.copying_invoice_ids([i.id for i in pagination.items])
    else:
        status = 422
    return page_or_partial("invoicing/index.html", "invoicing/_table.html", status, **context)


def home_panels(everyone: list[Readiness]) -> dict:
    """Getting started (until its steps are done or an admin hid it) and what needs attention.

    With several billing entities, Getting started follows the first entity with a connected
    organisation (else the first entity): Xero is connected once any entity is; what needs
    attention counts across every entity's organisation."""
    lead = next((xero for xero in everyone if xero.tenant_id), everyone[0])
    guide = None if getting_started.is_hidden() else getting_started.getting_started(lead)
    return {"guide": None if guide is None or guide.all_done else guide,
            "attention": attention.needing_attention(everyone), "panel_form": EmptyForm()}


@bp.post("/getting-started/hide")
@admin_required
def hide_getting_started():
    """Hide Getting started for the workspace; HTMX gets the home panels back without it."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    getting_started.hide()
    if is_htmx():
        return render_template("invoicing/_home_panels.html", **home_panels(every_readiness()))
    return go_to(url_for("invoicing.index"))


@bp.get("/invoices/<int:invoice_id>")
def show(invoice_id: int):
    """One invoice: header, lines, totals, custom fields, payments, its copies in Xero."""
    return invoice_page(invoice_id)


@bp.post("/invoices/<int:invoice_id>/payments")
def record_invoice_payment(invoice_id: int):
    """Record money received for an invoice by hand."""
    invoice = db.session.get(Invoice, invoice_id) or abort(404)
    return record(invoice, invoice.currency, url_for("invoicing.show", invoice_id=invoice.id), request.path,
                  page=lambda form: invoice_page(invoice_id, payment_form=form))


def invoice_page(invoice_id: int, payment_form=None) -> str:
    """The invoice's page; `payment_form` shows a refused payment as it was typed."""
    invoice = get_invoice(invoice_id, full=True) or abort(404)
    fields = table.table_fields()
    values = {v.field_id: v.value for v in invoice.custom_values}
    xero = copy_options.copy_state(invoice_id, readiness(invoice.entity_id))
    open_copy = request.args.get("xero") == "copy" and xero.readiness.ready
    payments = payments_context(invoice, invoice.currency,
                                url_for("invoicing.record_invoice_payment", invoice_id=invoice.id))
    payments["payment_form"] = payment_form or payments["payment_form"]
    several_entities = db.session.scalar(select(func.count(BillingEntity.id))) > 1
    return render_template("invoicing/show.html", invoice=invoice, fields=fields, values=values,
                           xero=xero, open_copy=open_copy, several_entities=several_entities, **payments)


@bp.post("/invoices/<int:invoice_id>/status")
def change_status(invoice_id: int):
    """Mark as sent / back to draft; HTMX gets the status box back, others the page."""
    try:
        invoice = set_status(invoice_id, request.form.get("status", ""))
    except LookupError:
        abort(404)
    except InvoiceError as error:
        abort(400, error.message)
    message = f"Invoice {invoice.number} is now {invoice.status}."
    if is_htmx():
        return render_template("invoicing/_status.html", invoice=invoice), {
            "HX-Trigger": json.dumps({"showMessage": message})
        }
    flash(message, "success")
    return go_to(url_for("invoicing.show", invoice_id=invoice.id))
