"""Two billing entities, each with its own Xero organisation in the sandbox: the first entity
(the workspace's own) connected to Demo Company (NZ) through Bridge's consent flow, a second
one, "Southern Cross Pty", connected to Demo Company (AU) with its own token set, settings and
mappings. The same Bridge tax rate and service type map differently in each organisation:
"No GST" (0%) is ZERORATED in NZ and EXEMPTOUTPUT in AU, Design is account 220 in NZ and 260
in AU (the default account is 200 in both)."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from bridge.billing.service import InvoiceData, LineData, create_invoice
from bridge.extensions import db
from bridge.models import BillingEntity, Company, ServiceType, TaxRate, XeroConnection
from bridge.xero.api.client import XeroClient
from bridge.xero.api.tokens import TokenCipher, store_tokens
from bridge.xero.settings import reference, setup
from bridge.xero.settings.setup import Setup
from bridge.xero_sandbox.seed import AU_TENANT, NZ_TENANT
from tests.marketplace.conftest import AU, NZ
from tests.xero.conftest import connect as consent_to
from tests.xero.consent import REDIRECT

AU_NAME = "Southern Cross Pty"


def second_entity(name: str = AU_NAME, currency: str = "AUD") -> BillingEntity:
    entity = BillingEntity(name=name, base_currency=currency, invoice_number_pattern="SC-{seq:04}",
                           credit_note_number_pattern="SCCN-{seq:04}")
    db.session.add(entity)
    db.session.commit()
    return entity


def connect_entity(app, sandbox, entity: BillingEntity, organisation: str = AU) -> XeroConnection:
    """Connect the entity to the organisation with a consent of its own (its own token set), as
    the entity's Connect Xero will; the organisation's reference data cached."""
    sandbox.allow_redirect(REDIRECT)
    tokens, (tenant,) = consent_to(tick=(organisation,))
    row = XeroConnection(tenant_id=tenant.tenant_id, tenant_name=tenant.tenant_name, entity_id=entity.id,
                         connection_id=tenant.connection_id, auth_event_id=tenant.auth_event_id,
                         refresh_version=1, status="active")
    store_tokens(row, tokens, TokenCipher(app.config["XERO_TOKEN_KEY"]))
    db.session.add(row)
    setup.adopt(tenant.tenant_id, entity.id)  # the entity's settings are this organisation's
    db.session.commit()
    reference.refresh(tenant.tenant_id)
    return row


def zero_rate() -> TaxRate:
    rate = db.session.scalar(select(TaxRate).where(TaxRate.name == "No GST"))
    if rate is None:
        rate = TaxRate(name="No GST", percentage=Decimal("0"))
        db.session.add(rate)
        db.session.commit()
    return rate


def configure_both(**answers) -> None:
    """Both entities' settings as the wizard saves them; `answers` apply to both."""
    design = db.session.scalar(select(ServiceType).where(ServiceType.name == "Design"))
    gst = db.session.scalar(select(TaxRate).where(TaxRate.name == "GST 15%"))
    free = zero_rate()
    second = db.session.scalar(select(BillingEntity).where(BillingEntity.name == AU_NAME))
    common = dict(invoice_numbers_by="bridge", pdfs_by="bridge", initial_status="DRAFT",
                  reference_from="subject", default_revenue_account_code="200")
    setup.save(Setup(**{**common, "revenue_accounts": {design.id: "220"},
                        "tax_types": {gst.id: "OUTPUT2", free.id: "ZERORATED"}, **answers}), None)
    setup.save(Setup(**{**common, "revenue_accounts": {design.id: "260"},
                        "tax_types": {free.id: "EXEMPTOUTPUT"}, **answers}), None, entity_id=second.id)


def entity_invoice(workspace, entity: BillingEntity, client_name: str = "Kookaburra Media"):
    """An invoice of the entity, in AUD, of two lines at No GST: Design 2 x 150.00, Hosting 45.50."""
    client = db.session.scalar(select(Company).where(Company.name == client_name))
    if client is None:
        client = Company(name=client_name, default_currency="AUD", default_entity_id=entity.id)
        db.session.add(client)
        db.session.commit()
    free = zero_rate()
    return create_invoice(InvoiceData(
        client_id=client.id, subject="Launch film", issue_date=dt.date(2026, 3, 2),
        due_date=dt.date(2026, 4, 1), currency="AUD", entity_id=entity.id, lines=(
            LineData("Design sprint", Decimal("2"), Decimal("150.00"), service_type_id=workspace["design"].id,
                     tax_rate_id=free.id),
            LineData("Hosting, March", Decimal("1"), Decimal("45.50"), tax_rate_id=free.id))))


def contact_in(tenant_id: str, name: str = "Northwind Studio") -> str:
    """The radio value of a seeded contact of that organisation (its ContactID|name)."""
    with XeroClient(tenant_id) as client:
        contact = client.find_contact_by_name(name)
    return f"{contact['ContactID']}|{name}"


def invoices_in(tenant_id: str) -> list[dict]:
    """The sales invoices Bridge made in that organisation."""
    with XeroClient(tenant_id) as client:
        return [i for i in client.get_invoices(where='Type=="ACCREC"') if "xero_copy=" in (i.get("Url") or "")]


__all__ = ["AU", "AU_TENANT", "NZ", "NZ_TENANT"]
