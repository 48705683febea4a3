"""The home page's "Getting started": the help article's path from nothing to a payment back
from Xero, each step ticked from the database, and whether an admin hid it.

    guide = getting_started(readiness())      # at most 4 small queries, whatever the data size

With several billing entities the home page passes the first entity with a connected
organisation (bridge.invoicing.routes.home_panels).
    guide.steps, guide.current, guide.all_done

Why steps 4 and 5 tick together: Bridge only learns of a payment recorded in Xero when the
payment sync brings it back, so "a payment from Xero exists" is the proof of both. Step 5 is
therefore open at the same time as step 4 (Sync now), and earlier while payment sync is off:
the sync brings back only payments recorded after it is turned on.
"""
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import SENDING_ACTIONS, Invoice, Payment, WorkspaceSettings, XeroCopy, utcnow
from bridge.xero.settings.readiness import Readiness, xero_invoice_url

WORKSPACE_ID = 1


@dataclass(frozen=True)
class Step:
    """One step: what to do, whether it is done, and where it is done."""

    key: str
    title: str
    text: str
    done: bool
    done_text: str = ""
    # The place the step is done: a link (url) or, for "Sync now", a button posting to it.
    action: str | None = None
    url: str | None = None
    external: bool = False
    posts: bool = False
    # Only admins can do it (the App Marketplace); members are told so instead of a link.
    admins_only: bool = False
    # The steps that must be done before this one can be (keys); by default the one before.
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class GettingStarted:
    steps: list[Step]

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def all_done(self) -> bool:
        return self.done == len(self.steps)

    @property
    def open(self) -> list[Step]:
        """The steps that can be done now (not done, what they need done): they offer their action."""
        done = {step.key for step in self.steps if step.done}
        return [step for step in self.steps if not step.done and set(step.needs) <= done]

    @property
    def current(self) -> Step | None:
        """The first open step: its action is the primary one."""
        return next(iter(self.open), None)


def is_hidden() -> bool:
    """Whether an admin hid the panel for the workspace."""
    return db.session.scalar(select(WorkspaceSettings.getting_started_hidden_at)
                             .where(WorkspaceSettings.id == WORKSPACE_ID)) is not None


def hide() -> None:
    """Hide the panel for everyone in the workspace (the row is made if the workspace has none)."""
    row = db.session.get(WorkspaceSettings, WORKSPACE_ID) or WorkspaceSettings(id=WORKSPACE_ID)
    row.getting_started_hidden_at = utcnow()
    db.session.add(row)
    db.session.commit()


def getting_started(ready: Readiness) -> GettingStarted:
    """The five steps as the database has them now."""
    connected = ready.tenant_id is not None
    copied = _newest_copy(ready.tenant_id) if connected else None
    paid_back = connected and _payment_from_xero()
    sync_on = bool(ready.settings and ready.settings.sync_payments and ready.settings.tenant_id == ready.tenant_id)
    return GettingStarted([
        Step("connect", "Connect Xero",
             "In Settings > App Marketplace, connect Bridge to your Xero organisation.",
             connected, f"Connected to {ready.tenant_name}." if connected else "",
             action="Connect Xero", url=url_for("marketplace.index"), admins_only=True),
        Step("settings", "Choose the settings",
             "Decide who numbers invoices and makes their PDFs, the status copies start in, "
             "the Xero accounts they book to, and whether payments come back from Xero.",
             ready.configured, "Settings chosen.",
             action="Open the setup", url=url_for("marketplace.xero_setup"), admins_only=True,
             needs=("connect",)),
        _copy_step(copied),
        _pay_step(ready, copied, paid_back),
        _back_step(sync_on, paid_back),
    ])


def _newest_copy(tenant_id: str) -> tuple[XeroCopy, str] | None:
    """The newest invoice copy Xero accepted in the connected organisation, with its invoice's number."""
    return db.session.execute(
        select(XeroCopy, Invoice.number).join(Invoice, Invoice.id == XeroCopy.invoice_id)
        .where(XeroCopy.tenant_id == tenant_id, XeroCopy.state == "done", XeroCopy.action.in_(SENDING_ACTIONS))
        .order_by(XeroCopy.id.desc()).limit(1)).first()


def _payment_from_xero() -> bool:
    return db.session.scalar(select(Payment.id).where(Payment.source == "xero").limit(1)) is not None


def _copy_step(copied) -> Step:
    """Step 3: copy an invoice; its place is the newest invoice's page with the modal open."""
    text = "Open an invoice and press Copy to Xero: pick the contact and tax rate, then send it."
    if copied:
        row, number = copied
        named = f" as {row.xero_number}." if row.xero_number and row.xero_number != number else "."
        return Step("copy", "Copy an invoice to Xero", text, True, f"Invoice {number} is in Xero{named}",
                    needs=("settings",))
    # A voided invoice is not copied: the step offers the newest other one.
    newest = db.session.execute(select(Invoice.id, Invoice.number).where(Invoice.status != "voided")
                                .order_by(Invoice.issue_date.desc(), Invoice.id.desc()).limit(1)).first()
    if newest is None:
        return Step("copy", "Copy an invoice to Xero", text, False,
                    action="Create an invoice", url=url_for("invoicing.new"), needs=("settings",))
    return Step("copy", "Copy an invoice to Xero", text, False, action=f"Copy {newest.number}",
                url=url_for("invoicing.show", invoice_id=newest.id, xero="copy"), needs=("settings",))


def _pay_step(ready: Readiness, copied, paid_back: bool) -> Step:
    """Step 4: in Xero, record a payment on the invoice copied in step 3."""
    url = xero_invoice_url(copied[0].tenant_id, copied[0].xero_id) if copied else None
    number = (copied[0].xero_number or copied[1]) if copied else None
    return Step("pay", "Record a payment in Xero",
                "In Xero, record a payment on the invoice you copied, as your client's payment would be.",
                paid_back, "A payment was recorded in Xero.",
                action=f"Open {number} in Xero" if url else None, url=url, external=True, needs=("copy",))


def _back_step(sync_on: bool, paid_back: bool) -> Step:
    """Step 5: the payment sync brings it back, at the next poll or now."""
    minutes = max(1, round(current_app.config["XERO_POLL_SECONDS"] / 60))
    every = "every minute" if minutes == 1 else f"every {minutes} minutes"
    done_text = "Payments recorded in Xero now come back to Bridge."
    if not sync_on:
        return Step("back", "See it come back",
                    "Turn on payment sync in the settings: Bridge then brings Xero's payments back "
                    f"{every}.", paid_back, done_text,
                    action="Turn on payment sync", url=url_for("marketplace.xero_setup"), admins_only=True,
                    needs=("settings",))
    return Step("back", "See it come back",
                f"Bridge brings Xero's payments back {every}; Sync now brings them at once.",
                paid_back, done_text, action="Sync now", url=url_for("marketplace.xero_sync_now"),
                posts=True, admins_only=True, needs=("copy",))
