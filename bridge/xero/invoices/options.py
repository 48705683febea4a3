"""What the Copy to Xero modal offers and shows, read from Bridge's own tables only.

Opening the modal and re-rendering its preview never call Xero: contacts come from the
client's link, tax rates and accounts from the cache the setup wizard filled
(bridge.xero.settings.reference), amounts from bridge.xero.invoices.mapping.preview.
"""
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from bridge.extensions import db
from bridge.billing.service import get_invoice
from bridge.xero.settings import reference, tracking
from bridge.models import (
    SENDING_ACTIONS, CustomFieldValue, Invoice, ServiceTypeAccount, TaxRateMapping, XeroActivity, XeroCopy,
    XeroDocument, XeroSettings,
)
from bridge.xero.sending import activity
from bridge.xero.invoices import mapping
from bridge.xero.sending import ending, ledger, payloads
from bridge.xero.sending import contacts
from bridge.xero.sending.contacts import Contact
from bridge.xero.sending.once import last_done, not_ready_message
from bridge.xero.settings.readiness import Readiness, tax_percent, xero_invoice_url

MANUAL = "MANUAL"


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
    # Create new: the invoice's copies still live in Xero (each ended first, or kept), and
    # whether this copy carries Bridge's number (then Xero refuses it while one is live).
    earlier: list[XeroDocument] = field(default_factory=list)
    sends_number: bool = True
    # Xero's branding themes (from the cache) and the one the settings choose ("" : Xero's default).
    themes: list[tracking.Theme] = field(default_factory=list)
    theme_id: str = ""

    @property
    def earlier_blocked(self) -> list[XeroDocument]:
        """Earlier live copies Xero cannot void or delete (money applied)."""
        return [row for row in self.earlier if ending.how_to_end(row) is None]

    @property
    def can_keep_earlier(self) -> bool:
        """Whether a second live copy is possible at all (Xero numbers it: no clash)."""
        return not self.sends_number

    @property
    def create_blocked(self) -> bool:
        """Create new cannot work: the earlier copy cannot end and the number would clash."""
        return bool(self.earlier_blocked) and self.sends_number

    @property
    def manual_status(self) -> bool:
        settings = self.readiness.settings
        return settings is not None and settings.initial_status == MANUAL

    @property
    def status_label(self) -> str:
        status = self.readiness.settings.initial_status if self.readiness.settings else "DRAFT"
        return payloads.COPY_STATUSES.get(status, status.title())


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
    # Every copy in Xero as Xero last said it is (the ledger), oldest first.
    documents: list[XeroDocument] = field(default_factory=list)
    # What "Create new" will do, said in its menu item before anything is sent.
    create_new: str = "another invoice in Xero"
    # Why a copied invoice cannot be copied again now (its entity's Xero disconnected or not set
    # up); "" when it can, when it was never copied, or when the reconnect notice says why.
    unavailable: str = ""

    @property
    def newest_live(self) -> XeroDocument | None:
        return next((row for row in reversed(self.documents) if row.live), None)

    @property
    def xero_url(self) -> str | None:
        return xero_invoice_url(self.last_done.tenant_id, self.last_done.xero_id) if self.last_done else None


def modal_data(invoice_id: int, action: str, ready: Readiness) -> ModalData:
    """The modal's choices; LookupError when the invoice does not exist."""
    invoice = get_invoice(invoice_id, full=True)
    if invoice is None:
        raise LookupError(f"No invoice {invoice_id}.")
    last = last_done(invoice_id)
    client = invoice.client
    contact = contacts.linked_contact(ready.tenant_id, client)  # None: linked in another organisation
    new_contact = {"name": client.name, "email": client.email or "", "tax_number": client.tax_number or "",
                   "address": client.address or "", "currency": client.default_currency}
    earlier = [row for row in ledger.live_copies(Invoice, invoice.id) if row.tenant_id == ready.tenant_id] \
        if action == "create" else []
    return ModalData(
        invoice=invoice, action=action, readiness=ready,
        tax_options=reference.revenue_tax_rates(ready.tenant_id) if ready.tenant_id else [],
        tax_type=preselected_tax_type(invoice), contact=contact, new_contact=new_contact,
        last_copy=last, warnings=_warnings(invoice, ready), earlier=earlier,
        sends_number=sends_number(invoice, ready.settings) if ready.settings else True,
        themes=tracking.themes(ready.tenant_id) if ready.tenant_id else [],
        theme_id=(ready.settings.branding_theme_id or "") if ready.settings else "",
    )


def _warnings(invoice: Invoice, ready: Readiness) -> list[str]:
    """What to know before sending: a currency Xero will refuse, a tax rate for every line."""
    currency = reference.currency_problem(ready.tenant_id, invoice.currency) if ready.tenant_id else None
    warnings = [currency] if currency else []
    if len({line.tax_rate_id for line in invoice.lines}) > 1:
        warnings.append("The lines of this invoice use different tax rates; Xero gets the one "
                        "chosen here on every line.")
    return warnings


def preselected_tax_type(invoice: Invoice) -> str | None:
    """The Xero tax type the invoice's billing entity maps its Bridge tax rate to (the one most
    lines use)."""
    counts = Counter(line.tax_rate_id for line in invoice.lines if line.tax_rate_id)
    if not counts:
        return None
    rate_id = counts.most_common(1)[0][0]
    return db.session.scalar(select(TaxRateMapping.xero_tax_type).where(
        TaxRateMapping.tax_rate_id == rate_id, TaxRateMapping.entity_id == invoice.entity_id))


def sends_number(invoice: Invoice, settings: XeroSettings) -> bool:
    """Whether a copy carries Bridge's number. Always while Bridge numbers invoices; with Xero
    numbering too once a client may have seen the number (sent, or paid): numbers a client has
    seen never change. Only a draft takes Xero's number."""
    if settings.invoice_numbers_by == "bridge":
        return True
    return invoice.status != "draft" or (invoice.amount_paid or 0) > 0


def choices(settings: XeroSettings, *, contact_id: str, tax_type: str, tax_rate: Decimal,
            status: str, url: str | None = None, invoice: Invoice | None = None) -> mapping.CopyChoices:
    """The mapping's choices from the settings, the service type accounts, the tracking mappings
    (all the settings' billing entity's) and the modal (with the invoice: whether its copy carries
    its number); the settings' theme."""
    accounts = dict(db.session.execute(select(
        ServiceTypeAccount.service_type_id, ServiceTypeAccount.revenue_account_code)
        .where(ServiceTypeAccount.revenue_account_code.is_not(None),
               ServiceTypeAccount.entity_id == settings.entity_id)).all())
    return mapping.CopyChoices(
        contact_id=contact_id, tax_type=tax_type, tax_percent=tax_rate, status=status,
        default_account=settings.default_revenue_account_code, accounts=accounts,
        send_number=sends_number(invoice, settings) if invoice is not None else settings.invoice_numbers_by == "bridge",
        reference_from=settings.reference_from,
        url=url,
        tracking=tracking.rules(settings.tenant_id, "invoice", settings.entity_id) if settings.tenant_id else mapping.TrackingRules(),
        branding_theme_id=settings.branding_theme_id or None,
    )


def preview(invoice_id: int, tax_type: str, ready: Readiness) -> mapping.Preview | None:
    """What Xero will book with this tax rate, each line with its tracking; None for a tax rate
    Xero would refuse."""
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
    return payloads.note_text(value.field.name, value.value) if value is not None else None


def copy_state(invoice_id: int, ready: Readiness) -> CopyState:
    """The invoice's copies, its newest attempt and its Xero activity."""
    rows = list(db.session.scalars(select(XeroCopy).where(
        XeroCopy.invoice_id == invoice_id, XeroCopy.action.in_(SENDING_ACTIONS)).order_by(XeroCopy.id.desc())))
    done = last_done(invoice_id)
    newest = rows[0] if rows else None
    attempt = newest if newest is not None and newest is not done and (
        done is None or newest.id > done.id) else None
    documents = ledger.copies_of(Invoice, invoice_id)
    return CopyState(
        readiness=ready, last_done=done, last_attempt=attempt,
        copies=sum(1 for row in rows if row.state == "done" and row.action == "create"),
        entries=activity.for_invoice(invoice_id), documents=documents,
        create_new=create_new_words(invoice_id, ready, documents) if done else "",
        unavailable=not_ready_message(ready) if (done or attempt) and not (ready.ready or ready.needs_reconnect) else "",
    )


def create_new_words(invoice_id: int, ready: Readiness, documents: list[XeroDocument]) -> str:
    """What Create new does to the copies still live in Xero, in the menu's few words."""
    live = [row for row in documents if row.live and row.tenant_id == ready.tenant_id]
    if not live or ready.settings is None:
        return "another invoice in Xero"
    invoice = get_invoice(invoice_id)
    numbers = ", ".join(row.number or "(no number)" for row in live)
    blocked = [row for row in live if ending.how_to_end(row) is None]
    if sends_number(invoice, ready.settings):
        clash = f"Xero refuses a second invoice numbered {invoice.number}"
        if blocked:
            return f"{clash}, and {blocked[0].number or 'the earlier copy'} has money applied: not possible"
        ends = {"delete": "deleted", "void": "voided"}[ending.how_to_end(live[-1])]
        return f"{clash}: {numbers} is {ends} first, in the same action"
    return f"another invoice in Xero; {numbers} stays live unless you void or delete it"
