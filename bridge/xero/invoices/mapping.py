"""Pure functions between Bridge's records and Xero's payloads; no I/O, no Flask.

Xero computes each line's amount and tax rounded to the cent, then sums them
(XERO_API_NOTES.md §8) — the same arithmetic as bridge.billing.totals — so the
preview shows to the cent what Xero will book.
"""
from dataclasses import dataclass, field, replace
from decimal import Decimal

from bridge.billing.totals import InvoiceTotals, LineAmounts, line_amounts, sum_lines
from bridge.xero.settings.tracking_rules import LineTracking, TrackingRules, first_refusal, unmapped_notes


@dataclass(frozen=True)
class CopyChoices:
    """What the settings and the copy modal decide for one copy."""

    contact_id: str
    tax_type: str
    tax_percent: Decimal
    status: str
    default_account: str
    # service_type_id -> account code; unmapped service types use the default account.
    accounts: dict = field(default_factory=dict)
    send_number: bool = True
    reference_from: str = "subject"
    # Xero's "Go to Bridge" link; it also carries the copy's attempt key, which is how a
    # copy whose answer was lost is found again in Xero.
    url: str | None = None
    # The tracking categories mapped in the settings (empty: no Tracking sent).
    tracking: TrackingRules = field(default_factory=TrackingRules)
    # The copy's BrandingThemeID; None: left out, Xero's default theme.
    branding_theme_id: str | None = None


@dataclass(frozen=True)
class PreviewLine:
    description: str
    quantity: Decimal
    unit_amount: Decimal
    discount_rate: Decimal
    account_code: str
    tax_type: str
    amounts: LineAmounts
    tracking: LineTracking = field(default_factory=LineTracking)


@dataclass(frozen=True)
class Preview:
    """What Xero will book, and whether it differs from Bridge's own totals."""

    lines: list[PreviewLine]
    totals: InvoiceTotals
    bridge_totals: InvoiceTotals
    # Whether tracking categories are mapped (the preview then shows a Tracking column).
    tracked: bool = False

    @property
    def tracking_refusal(self) -> str | None:
        """Why Xero would refuse a line's tracking (an archived option), or None."""
        return first_refusal([line.tracking for line in self.lines])

    @property
    def untracked(self) -> list[str]:
        """The categories some lines are sent without, and why."""
        return unmapped_notes([line.tracking for line in self.lines])

    @property
    def differs(self) -> bool:
        return self.totals != self.bridge_totals

    @property
    def difference(self) -> Decimal:
        return self.totals.total - self.bridge_totals.total


def account_for(service_type_id: int | None, choices: CopyChoices) -> str:
    """The line's revenue account: the service type's mapping, else the default account."""
    return choices.accounts.get(service_type_id) or choices.default_account


def preview(invoice, choices: CopyChoices) -> Preview:
    """Each line as Xero will compute it with the chosen tax rate, and the totals."""
    lines = []
    for line in invoice.lines:
        discount = line.discount_percent or Decimal("0")
        lines.append(PreviewLine(
            description=line.description,
            quantity=line.quantity,
            unit_amount=line.unit_price,
            discount_rate=discount,
            account_code=account_for(line.service_type_id, choices),
            tax_type=choices.tax_type,
            amounts=line_amounts(line.quantity, line.unit_price, discount, choices.tax_percent),
            tracking=line_tracking(invoice, line, choices),
        ))
    bridge_totals = InvoiceTotals(invoice.subtotal, invoice.tax_total, invoice.total)
    return Preview(lines=lines, totals=sum_lines([l.amounts for l in lines]), bridge_totals=bridge_totals,
                   tracked=bool(choices.tracking))


def tracking_values(invoice, line) -> dict:
    """A line's values of each tracking source, as (value, label): its service type, the client,
    and the invoice's custom field values."""
    values = {"client": (str(invoice.client_id), invoice.client.name)}
    if line.service_type_id:
        values["service_type"] = (str(line.service_type_id), line.service_type.name)
    for custom in invoice.custom_values:
        values[f"custom_field:{custom.field_id}"] = (custom.value, custom.value)
    return values


def line_tracking(invoice, line, choices: CopyChoices) -> LineTracking:
    """The line's tracking under the mapped categories (nothing when none are mapped)."""
    if not choices.tracking:
        return LineTracking()
    return choices.tracking.line(tracking_values(invoice, line))


def tracking_refusal(invoice, choices: CopyChoices) -> str | None:
    """Why Xero would refuse the tracking of one of the invoice's lines (checked before sending)."""
    if not choices.tracking:
        return None
    return first_refusal([line_tracking(invoice, line, choices) for line in invoice.lines])


def reference(invoice, reference_from: str) -> str | None:
    """Xero's Reference: the invoice subject or its purchase order number, per setting."""
    value = invoice.purchase_order_number if reference_from == "purchase_order_number" else invoice.subject
    return value or None


def invoice_payload(invoice, choices: CopyChoices) -> dict:
    """The ACCREC invoice to PUT (create) to Xero."""
    payload = {
        "Type": "ACCREC",
        "Contact": {"ContactID": choices.contact_id},
        "Date": invoice.issue_date,
        "DueDate": invoice.due_date,
        "CurrencyCode": invoice.currency,
        "LineAmountTypes": "Exclusive",
        "Reference": reference(invoice, choices.reference_from),
        "Status": choices.status,
        "LineItems": [line_item(line, choices, invoice) for line in invoice.lines],
    }
    if choices.branding_theme_id:
        payload["BrandingThemeID"] = choices.branding_theme_id
    if choices.send_number:
        payload["InvoiceNumber"] = invoice.number
    if choices.url:
        payload["Url"] = choices.url
    return payload


def update_payload(invoice, choices: CopyChoices, current: dict) -> dict:
    """The POST that makes an existing Xero invoice (`current`, as Xero sent it) match ours.

    Xero's invoice keeps its number and its link; it gets its current Status back (anything
    else may be a transition Xero refuses, XERO_API_NOTES.md §10.3) and every line: lines
    keep Xero's LineItemIDs in order, extra ones are new, missing ones are removed (§10.3).
    """
    payload = invoice_payload(invoice, replace(choices, send_number=False, url=None))
    payload["Status"] = current.get("Status") or choices.status
    # A field left out keeps Xero's value; an empty Reference must be sent to clear it.
    payload["Reference"] = payload["Reference"] or ""
    existing = [line.get("LineItemID") for line in current.get("LineItems") or []]
    for item, line_id in zip(payload["LineItems"], existing):
        if line_id:
            item["LineItemID"] = line_id
    return payload


def line_item(line, choices: CopyChoices, invoice=None) -> dict:
    """One invoice line as a Xero LineItem (Xero derives LineAmount and TaxAmount itself), with
    its tracking options when categories are mapped (`invoice` gives the client and custom fields)."""
    item = {
        "Description": line.description,
        "Quantity": line.quantity,
        "UnitAmount": line.unit_price,
        "AccountCode": account_for(line.service_type_id, choices),
        "TaxType": choices.tax_type,
    }
    if line.discount_percent:
        item["DiscountRate"] = line.discount_percent
    if choices.tracking and invoice is not None:
        # Xero replaces a line's tracking with what is sent: an update sends it whole.
        item["Tracking"] = list(line_tracking(invoice, line, choices).entries)
    return item
