"""What the Copy to Xero modal offers and shows, read from Bridge's own tables only.

Opening the modal and re-rendering its preview never call Xero: contacts come from the
client's link, tax rates and accounts from the cache the setup wizard filled
(bridge.marketplace.reference), amounts from bridge.xero.mapping.preview.
"""
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from bridge.extensions import db
from bridge.invoicing.service import get_invoice
from bridge.marketplace import reference, setup
from bridge.models import (
    CustomFieldValue, Invoice, ServiceTypeAccount, TaxRateMapping, XeroActivity, XeroCopy,
    XeroSettings, XeroTaxRate,
)
from bridge.xero import activity, mapping

MANUAL = "MANUAL"
# Xero's own words for its statuses (XERO_API_NOTES.md §10.3).
XERO_STATUS_LABELS = {"DRAFT": "Draft", "SUBMITTED": "Awaiting Approval",
                      "AUTHORISED": "Awaiting Payment", "PAID": "Paid", "VOIDED": "Voided",
                      "DELETED": "Deleted"}


@dataclass(frozen=True)
class Readiness:
    """Whether invoices can be copied now: an active connection, and the wizard saved."""

    tenant_id: str | None = None
    connected: bool = False
    needs_reconnect: bool = False
    configured: bool = False
    settings: XeroSettings | None = None

    @property
    def ready(self) -> bool:
        return self.connected and self.configured


@dataclass(frozen=True)
class Contact:
    """A Xero contact as the modal lists it."""

    id: str
    name: str
    email: str | None = None


@dataclass(frozen=True)
class ModalData:
    """Everything the copy modal shows for one invoice and one action (create or update)."""

    invoice: Invoice
    action: str
    readiness: Readiness
    tax_options: list[reference.Option]
    tax_type: str | None
    contact: Contact | None
    new_contact: dict
    # The copy an update changes; for create, the last copy (Xero may refuse its number).
    last_copy: XeroCopy | None
    warnings: list[str] = field(default_factory=list)

    @property
    def manual_status(self) -> bool:
        settings = self.readiness.settings
        return settings is not None and settings.initial_status == MANUAL

    @property
    def status_label(self) -> str:
        status = self.readiness.settings.initial_status if self.readiness.settings else "DRAFT"
        return mapping.COPY_STATUSES.get(status, status.title())


@dataclass(frozen=True)
class CopyState:
    """The invoice's copies as its page shows them (the "Invoice copied" box)."""

    readiness: Readiness
    # The newest successful create or update: its xero_id is the copy that "Update existing" changes.
    last_done: XeroCopy | None
    # The newest attempt, when it is newer than last_done and did not succeed.
    last_attempt: XeroCopy | None
    copies: int
    entries: list[XeroActivity]

    @property
    def xero_url(self) -> str | None:
        return xero_invoice_url(self.last_done.tenant_id, self.last_done.xero_id) if self.last_done else None


def readiness() -> Readiness:
    """The connection and settings as they are now (two small queries)."""
    connection = setup.connection()
    if connection is None:
        return Readiness()
    settings = setup.settings_row()
    configured = bool(settings and settings.tenant_id == connection.tenant_id and settings.configured_at)
    return Readiness(tenant_id=connection.tenant_id, connected=not connection.needs_reconnect,
                     needs_reconnect=connection.needs_reconnect, configured=configured,
                     settings=settings)


def xero_invoice_url(tenant_id: str, xero_id: str | None, setting: str = "XERO_INVOICE_URL") -> str | None:
    """Where people open a copied invoice (or, with XERO_BILL_URL, a bill) in Xero's UI."""
    if not xero_id:
        return None
    return current_app.config[setting].format(tenant_id=tenant_id, invoice_id=xero_id)


def modal_data(invoice_id: int, action: str, ready: Readiness) -> ModalData:
    """The modal's choices; LookupError when the invoice does not exist."""
    invoice = get_invoice(invoice_id, full=True)
    if invoice is None:
        raise LookupError(f"No invoice {invoice_id}.")
    last = last_done(invoice_id)
    client = invoice.client
    contact = Contact(client.xero_contact_id, client.xero_contact_name or client.name) \
        if client.xero_contact_id else None
    new_contact = {"name": client.name, "email": client.email or "", "tax_number": client.tax_number or "",
                   "address": client.address or "", "currency": client.default_currency}
    return ModalData(
        invoice=invoice, action=action, readiness=ready,
        tax_options=reference.revenue_tax_rates(ready.tenant_id) if ready.tenant_id else [],
        tax_type=preselected_tax_type(invoice), contact=contact, new_contact=new_contact,
        last_copy=last, warnings=_warnings(invoice, action, last, ready.settings),
    )


def _warnings(invoice: Invoice, action: str, last: XeroCopy | None, settings: XeroSettings | None) -> list[str]:
    """What to know before sending: a number Xero will refuse, a tax rate for every line."""
    warnings = []
    bridge_numbers = settings is not None and settings.invoice_numbers_by == "bridge"
    if action == "create" and last is not None and bridge_numbers:
        warnings.append(f"Xero already has a copy numbered {last.xero_number}. While Bridge numbers "
                        "invoices Xero refuses a second invoice with that number, unless the first "
                        "one was deleted in Xero.")
    if len({line.tax_rate_id for line in invoice.lines}) > 1:
        warnings.append("The lines of this invoice use different tax rates; Xero gets the one "
                        "chosen here on every line.")
    return warnings


def preselected_tax_type(invoice: Invoice) -> str | None:
    """The Xero tax type mapped to the invoice's Bridge tax rate (the one most lines use)."""
    counts = Counter(line.tax_rate_id for line in invoice.lines if line.tax_rate_id)
    if not counts:
        return None
    rate_id = counts.most_common(1)[0][0]
    return db.session.scalar(select(TaxRateMapping.xero_tax_type).where(TaxRateMapping.tax_rate_id == rate_id))


def tax_percent(tenant_id: str, tax_type: str) -> Decimal | None:
    """A cached tax rate's percentage, if Xero accepts it on sales; None otherwise."""
    row = db.session.scalar(select(XeroTaxRate).where(
        XeroTaxRate.tenant_id == tenant_id, XeroTaxRate.tax_type == tax_type,
        XeroTaxRate.status == reference.ACTIVE, XeroTaxRate.can_apply_to_revenue.is_(True)))
    if row is None:
        return None
    return row.effective_rate if row.effective_rate is not None else Decimal("0")


def choices(settings: XeroSettings, *, contact_id: str, tax_type: str, tax_rate: Decimal,
            status: str, url: str | None = None) -> mapping.CopyChoices:
    """The mapping's choices from the settings, the service type accounts and the modal."""
    accounts = dict(db.session.execute(select(
        ServiceTypeAccount.service_type_id, ServiceTypeAccount.revenue_account_code)
        .where(ServiceTypeAccount.revenue_account_code.is_not(None))).all())
    return mapping.CopyChoices(
        contact_id=contact_id, tax_type=tax_type, tax_percent=tax_rate, status=status,
        default_account=settings.default_revenue_account_code, accounts=accounts,
        send_number=settings.invoice_numbers_by == "bridge", reference_from=settings.reference_from,
        url=url,
    )


def preview(invoice_id: int, tax_type: str, ready: Readiness) -> mapping.Preview | None:
    """What Xero will book with this tax rate; None for a tax rate Xero would refuse."""
    invoice = get_invoice(invoice_id, full=True)
    rate = tax_percent(ready.tenant_id, tax_type) if invoice is not None else None
    if rate is None:
        return None
    return mapping.preview(invoice, choices(ready.settings, contact_id="", tax_type=tax_type,
                                            tax_rate=rate, status="DRAFT"))


def account_warnings(tenant_id: str, found: mapping.Preview | None) -> list[str]:
    """Accounts of the preview Xero's cached chart says it will refuse (archived, gone, not revenue)."""
    codes = dict.fromkeys(line.account_code for line in found.lines) if found else {}
    problems = (reference.account_problem(tenant_id, code, "REVENUE") for code in codes if code)
    return [problem[1] for problem in problems if problem]


def note_for(invoice_id: int, settings: XeroSettings) -> str | None:
    """The History & Notes text: the chosen custom field's value on this invoice, if any."""
    if not settings.notes_custom_field_id:
        return None
    value = db.session.scalar(select(CustomFieldValue).where(
        CustomFieldValue.invoice_id == invoice_id,
        CustomFieldValue.field_id == settings.notes_custom_field_id))
    return mapping.note_text(value.field.name, value.value) if value is not None else None


def last_done(invoice_id: int) -> XeroCopy | None:
    """The newest successful copy or update of an invoice."""
    return db.session.scalar(select(XeroCopy).where(
        XeroCopy.invoice_id == invoice_id, XeroCopy.state == "done")
        .order_by(XeroCopy.completed_at.desc(), XeroCopy.id.desc()).limit(1))


def copy_state(invoice_id: int, ready: Readiness) -> CopyState:
    """The invoice's copies, its newest attempt and its Xero activity."""
    rows = list(db.session.scalars(select(XeroCopy).where(XeroCopy.invoice_id == invoice_id)
                                   .order_by(XeroCopy.id.desc())))
    done = last_done(invoice_id)
    newest = rows[0] if rows else None
    attempt = newest if newest is not None and newest is not done and (
        done is None or newest.id > done.id) else None
    return CopyState(
        readiness=ready, last_done=done, last_attempt=attempt,
        copies=sum(1 for row in rows if row.state == "done" and row.action == "create"),
        entries=activity.for_invoice(invoice_id),
    )


def xero_status_label(status: str | None) -> str:
    """A Xero status as Xero's UI says it (template filter xero_status)."""
    return XERO_STATUS_LABELS.get(status or "", (status or "").title())
