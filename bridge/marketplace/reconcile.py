"""Settings > App Marketplace > Xero > Reconcile: the copied invoices and expenses whose
figures in Bridge and in Xero differ, why, and what resolves each (admins only, like the whole
marketplace). The reading is bridge.xero.sync.reconcile's; this page only shows it."""
from flask import render_template

from bridge.auth.roles import admin_required
from bridge.forms import EmptyForm
from bridge.marketplace import bp
from bridge.marketplace.entity import entity_or_404
from bridge.xero.settings import setup
from bridge.xero.settings.readiness import xero_invoice_url
from bridge.xero.sync import reconcile


@bp.get("/settings/marketplace/xero/reconcile", defaults={"entity_id": None})
@bp.get("/settings/marketplace/xero/<int:entity_id>/reconcile")
@admin_required
def xero_reconcile(entity_id: int | None):
    """Every copied document of the entity's organisation that differs, with its reason and the
    action that resolves it."""
    entity = entity_or_404(entity_id)
    xero = setup.connection(entity.id)
    items = reconcile.differences(xero.tenant_id) if xero else []

    def in_xero(item, xero_id):
        setting = "XERO_INVOICE_URL" if item.kind == "invoice" else "XERO_BILL_URL"
        return xero_invoice_url(xero.tenant_id, xero_id, setting) if xero else None

    return render_template("marketplace/reconcile.html", xero=xero, entity=entity, items=items, in_xero=in_xero,
                           unexplained=sum(1 for item in items if not item.explained),
                           sync_form=EmptyForm(), actions=reconcile)
