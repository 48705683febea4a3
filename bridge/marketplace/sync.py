"""The Xero card's payment sync section: the last run, its result, the next run, "Sync now"."""
import time

from flask import abort, current_app, flash, render_template, request, url_for
from sqlalchemy import select

from bridge.auth.roles import admin_required
from bridge.extensions import db
from bridge.forms import EmptyForm
from bridge.invoicing.responses import go_to, is_htmx
from bridge.marketplace import bp
from bridge.marketplace.entity import entity_or_404, suffix
from bridge.xero.settings import setup
from bridge.models import BillingEntity, XeroSyncState
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroRateLimited
# The module, not its names: bridge.xero.sync.payments imports (through invoicing) this package.
from bridge.xero.sync import payments as payment_sync

# A person is waiting on "Sync now": longer waits (a rate limit) end the run instead, and
# the scheduler carries on from the last page applied.
BUTTON_MAX_WAIT = 10.0
# Where a "Sync now" posted from outside the Xero card goes back to (form field `back`).
SYNC_BACK = {"reconcile": "marketplace.xero_reconcile", "home": "invoicing.index"}


def impatient_sleep(seconds: float) -> None:
    """Sleep through short waits; refuse a long one."""
    if seconds > BUTTON_MAX_WAIT:
        raise XeroRateLimited(f"Xero asked Bridge to wait {seconds:.0f} seconds; the next "
                              "scheduled sync carries on from here.", retry_after=seconds,
                              problem=None)
    time.sleep(seconds)


def every(seconds: int) -> str:
    """300 -> "5 minutes"."""
    if seconds % 60:
        return f"{seconds} seconds" if seconds != 1 else "second"
    minutes = seconds // 60
    return "minute" if minutes == 1 else f"{minutes} minutes"


def sync_context(xero, result: "payment_sync.SyncResult | None" = None, *,
                 entity: BillingEntity | None = None) -> dict:
    """What an entity's card shows of the payment sync of its connected organisation."""
    entity_id = xero.entity_id if xero else setup.entity_key(entity.id if entity else None)
    settings = setup.settings_row(entity_id)
    state = db.session.scalar(select(XeroSyncState).where(XeroSyncState.tenant_id == xero.tenant_id)) \
        if xero else None
    return {
        "entity_id": entity_id,
        "sync_on": bool(xero and settings and settings.sync_payments
                        and settings.tenant_id == xero.tenant_id),
        "sync_state": state, "sync_result": result,
        "sync_every": every(int(current_app.config["XERO_POLL_SECONDS"])),
        "sync_form": EmptyForm(),
    }


@bp.post("/marketplace/xero/sync", defaults={"entity_id": None})
@bp.post("/marketplace/xero/<int:entity_id>/sync")
@admin_required
def xero_sync_now(entity_id: int | None):
    """Run the payment sync of this entity's organisation now, as the scheduler does; show what
    changed."""
    entity = entity_or_404(entity_id)
    xero = setup.connection(entity.id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if xero is None:
        flash(f"{entity.name}: Xero is not connected.", "info")
        return go_to(url_for("marketplace.index"))
    with XeroClient(xero.tenant_id, sleep=impatient_sleep) as client:
        result = payment_sync.sync_organisation(xero.tenant_id, trigger="button", client=client)
    db.session.expire_all()
    if is_htmx():
        return render_template("marketplace/_xero_sync.html", xero=xero, entity=entity,
                               suffix=suffix(entity),
                               **sync_context(xero, result))
    flash(f"Payment sync: {result.message}", "error" if result.error else "success")
    # "Sync now" on the Reconcile page comes back to it, to show what still differs; on the
    # home page's Getting started, to the home page, where the step ticks.
    back = SYNC_BACK.get(request.form.get("back", ""), "marketplace.index")
    return go_to(url_for(back, entity_id=entity.id) if back == "marketplace.xero_reconcile" else url_for(back))
