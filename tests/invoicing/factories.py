"""Small builders for invoicing tests: reference data and invoices made through the service."""
import datetime as dt
from decimal import Decimal

from bridge.extensions import db
from bridge.billing.service import InvoiceData, LineData, create_invoice
from bridge.models import Company, CustomField, CustomFieldValue, ServiceType, TaxRate


def add(obj):
    db.session.add(obj)
    db.session.commit()
    return obj


def company(name="Acme Ltd", currency="EUR", **fields) -> Company:
    return add(Company(name=name, default_currency=currency, **fields))


def service_type(name="Design", archived=False) -> ServiceType:
    return add(ServiceType(name=name, archived=archived))


def tax_rate(name="VAT 20%", percentage="20", archived=False) -> TaxRate:
    return add(TaxRate(name=name, percentage=Decimal(percentage), archived=archived))


def custom_field(name="Region", field_type="text", options=None, position=0, archived=False) -> CustomField:
    return add(CustomField(
        name=name, field_type=field_type, options_text="\n".join(options or []) or None,
        position=position, archived=archived,
    ))


def custom_value(invoice, field, value) -> CustomFieldValue:
    return add(CustomFieldValue(invoice_id=invoice.id, field_id=field.id, value=value))


def invoice(client, subject="Website", issue_date=dt.date(2026, 3, 1), lines=None, **header):
    """An invoice created by the service (numbered, with totals); lines as LineData or (qty, price)."""
    built = tuple(
        line if isinstance(line, LineData) else LineData("Work", Decimal(line[0]), Decimal(line[1]))
        for line in (lines or [("1", "100.00")])
    )
    data = InvoiceData(
        client_id=client.id, subject=subject, issue_date=issue_date,
        due_date=header.pop("due_date", issue_date + dt.timedelta(days=30)), lines=built, **header,
    )
    return create_invoice(data)
