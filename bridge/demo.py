"""Demo workspace: a realistic agency to click through, seeded only into an empty database."""
import datetime as dt
import random
import secrets
from decimal import Decimal

import click
from flask import Flask
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import func, select

from bridge.commands import create_user
from bridge.extensions import db
from bridge.billing.entities import first_entity
from bridge.billing.numbering import next_invoice_number
from bridge.billing.payments import refresh_payment_status
from bridge.billing.totals import apply_totals
from bridge.models import (
    BillingEntity,
    Budget,
    Company,
    CustomField,
    CustomFieldValue,
    Expense,
    Invoice,
    InvoiceLine,
    Payment,
    ServiceType,
    TaxRate,
    TaxRateMapping,
    User,
    WorkspaceSettings,
)

ADMIN_EMAIL = "admin@bridge.local"

CLIENTS = [
    ("Northwind Studio", "billing@northwind.example", "NZ-49-091-850", "12 Wharf Street\nWellington 6011", "NZD"),
    ("Acme Outdoor GmbH", "ap@acme-outdoor.example", "DE 811 907 980", "Lindenstraße 4\n10969 Berlin", "EUR"),
    ("Bluefin Health", "accounts@bluefin.example", "US 94-3012217", "500 Market St\nSan Francisco, CA 94105", "USD"),
    ("Kettle & Co", "finance@kettle.example", "GB 123 4567 89", "8 Canal Road\nLeeds LS1 4DL", "GBP"),
    ("Lumen Architects", "office@lumen.example", "NL 8532.12.345.B01", "Keizersgracht 221\n1016 DV Amsterdam", "EUR"),
]
SUPPLIERS = [
    ("Pixel Stock Ltd", "invoices@pixelstock.example", "GB 998 2211 44", "1 Media Lane\nLondon E1 6AN", "GBP"),
    ("CloudHost BV", "billing@cloudhost.example", "NL 8111.22.333.B01", "Stationsplein 9\n3511 ED Utrecht", "EUR"),
]
# The agency itself, its first billing entity, as its invoice PDFs show it (Settings > Billing entities).
AGENCY = dict(
    name="Harbour & Pine Studio", address="Level 3, 18 Customhouse Quay\nWellington 6011\nNew Zealand",
    tax_number="NZ 123-456-789", bank_details="Harbour & Pine Studio Ltd\nANZ 01-0505-0123456-00\n"
    "IBAN (EUR, GBP, USD): NL91 ABNA 0417 1643 00, BIC ABNANL2A",
    payment_terms="Payment within 30 days of the invoice date. Please quote the invoice number.",
    base_currency="NZD",
)
# A second billing entity, in Australia, with clients of its own and numbers of its own: it goes
# with the sandbox's second organisation, Demo Company (AU), which takes AUD and NZD.
AU_ENTITY = dict(
    name="Harbour & Pine Pty Ltd", address="Level 2, 77 King Street\nSydney NSW 2000\nAustralia",
    tax_number="ABN 51 824 753 556",
    bank_details="Harbour & Pine Pty Ltd\nWestpac, BSB 032-000, account 123456",
    payment_terms="Payment within 14 days of the invoice date.", base_currency="AUD",
    invoice_number_pattern="AU-{year}-{seq:04}", credit_note_number_pattern="AU-CN-{year}-{seq:04}",
)
AU_CLIENTS = [
    ("Brindle & Finch Pty Ltd", "accounts@brindlefinch.example", "ABN 27 411 903 512", "22 Bridge Street\nSydney NSW 2000",
     "AUD"),
    ("Saltbush Foods Pty Ltd", "finance@saltbush.example", "ABN 61 148 200 719", "9 Wharf Road\nMelbourne VIC 3000",
     "AUD"),
]
AU_INVOICES = 4
# Bridge's demo tax rates and the Xero tax types of the same percentage they are mapped to: those
# of Xero's NZ demo company (the sandbox's Demo Company (NZ), which enables every demo currency).
TAX_RATES = [("GST 15%", "15", "OUTPUT2"), ("Zero rated", "0", "ZERORATED")]
SERVICE_TYPES = ["Design", "Development", "Strategy", "Project management", "Copywriting", "Hosting"]
LINE_TEMPLATES = {
    "Design": [("Brand identity design", "95.00"), ("UI design sprint", "110.00")],
    "Development": [("Front-end development", "120.00"), ("API integration", "135.00")],
    "Strategy": [("Discovery workshop", "150.00"), ("Content strategy", "130.00")],
    "Project management": [("Project management", "85.00")],
    "Copywriting": [("Website copy", "75.00"), ("Campaign headlines", "80.00")],
    "Hosting": [("Managed hosting (monthly)", "49.00")],
}
SUBJECTS = ["Website relaunch", "Q4 campaign", "Brand refresh", "App MVP", "Monthly retainer", "SEO audit"]
NOTE_OPTIONS = ["Bill with next month's retainer", "Client asked for split payment", "Check PO before sending"]


def is_empty() -> bool:
    return db.session.scalar(select(func.count()).select_from(User)) == 0


def seed_demo(today: dt.date | None = None) -> str:
    """Fill an empty database with the demo workspace; return the admin's generated password."""
    today = today or dt.date.today()
    rng = random.Random(2026)
    password = secrets.token_urlsafe(12)
    admin = create_user(ADMIN_EMAIL, "Demo Admin", "admin", password)
    db.session.add(WorkspaceSettings(id=1))
    agency = first_entity()
    for name, value in AGENCY.items():
        setattr(agency, name, value)
    au = BillingEntity(**AU_ENTITY)
    db.session.add(au)
    db.session.flush()

    clients = [Company(name=n, email=e, tax_number=t, address=a, default_currency=c) for n, e, t, a, c in CLIENTS]
    suppliers = [Company(name=n, email=e, tax_number=t, address=a, default_currency=c) for n, e, t, a, c in SUPPLIERS]
    au_clients = [Company(name=n, email=e, tax_number=t, address=a, default_currency=c, default_entity_id=au.id)
                  for n, e, t, a, c in AU_CLIENTS]
    service_types = {name: ServiceType(name=name) for name in SERVICE_TYPES}
    standard, zero = (TaxRate(name=name, percentage=Decimal(percent)) for name, percent, _ in TAX_RATES)
    note_field = CustomField(name="Private note for the accountant", field_type="text", position=0)
    region_field = CustomField(
        name="Sales region", field_type="select", options_text="North\nSouth\nInternational", position=1
    )
    db.session.add_all([*clients, *suppliers, *au_clients, *service_types.values(), standard, zero, note_field, region_field])
    db.session.flush()
    db.session.add_all(TaxRateMapping(tax_rate_id=rate.id, xero_tax_type=tax_type)
                       for rate, (_, _, tax_type) in zip((standard, zero), TAX_RATES))

    for index in range(20):
        client = clients[index % len(clients)]
        issue = today - dt.timedelta(days=85 - index * 4)
        invoice = Invoice(
            number=next_invoice_number(agency, issue), entity=agency,
            subject=f"{rng.choice(SUBJECTS)} – {client.name}",
            purchase_order_number=f"PO-{4100 + index}" if index % 3 == 0 else None,
            client=client,
            currency=client.default_currency,
            issue_date=issue,
            due_date=issue + dt.timedelta(days=30),
            status="draft" if index >= 16 else "sent",
            created_by_id=admin.id,
        )
        for position in range(rng.randint(1, 4)):
            service_name = rng.choice(SERVICE_TYPES)
            description, price = rng.choice(LINE_TEMPLATES[service_name])
            invoice.lines.append(InvoiceLine(
                position=position,
                description=description,
                quantity=Decimal(rng.choice(["1", "2", "4", "7.5", "12", "16"])),
                unit_price=Decimal(price),
                discount_percent=Decimal(rng.choice(["0", "0", "0", "5", "10"])),
                service_type=service_types[service_name],
                tax_rate=standard if client.default_currency in {"NZD", "EUR"} else zero,
            ))
        apply_totals(invoice)
        db.session.add(invoice)
        db.session.flush()
        if index % 4 == 1:
            db.session.add(CustomFieldValue(invoice_id=invoice.id, field_id=note_field.id, value=rng.choice(NOTE_OPTIONS)))
        db.session.add(CustomFieldValue(invoice_id=invoice.id, field_id=region_field.id, value=rng.choice(region_field.options)))
        # Some sent invoices were paid by hand, fully or in part.
        if invoice.status == "sent" and index % 5 in (0, 2):
            amount = invoice.total if index % 5 == 0 else (invoice.total / 2).quantize(Decimal("0.01"))
            invoice.payments.append(Payment(amount=amount, date=issue + dt.timedelta(days=14), reference="Bank transfer", source="manual"))
            refresh_payment_status(invoice, invoice.total)

    for index in range(AU_INVOICES):
        client = au_clients[index % len(au_clients)]
        issue = today - dt.timedelta(days=60 - index * 14)
        invoice = Invoice(
            number=next_invoice_number(au, issue), entity=au, client=client, currency="AUD",
            subject=f"{rng.choice(SUBJECTS)} – {client.name}", issue_date=issue,
            due_date=issue + dt.timedelta(days=14), status="draft" if index == AU_INVOICES - 1 else "sent",
            created_by_id=admin.id,
        )
        for position, service_name in enumerate(rng.sample(SERVICE_TYPES, 2)):
            description, price = LINE_TEMPLATES[service_name][0]
            invoice.lines.append(InvoiceLine(
                position=position, description=description, quantity=Decimal(rng.choice(["2", "4", "8"])),
                unit_price=Decimal(price), service_type=service_types[service_name], tax_rate=zero,
            ))
        apply_totals(invoice)
        db.session.add(invoice)

    budgets = [
        Budget(name="Northwind website relaunch", client=clients[0], currency="NZD"),
        Budget(name="Acme Q4 campaign", client=clients[1], currency="EUR"),
        Budget(name="Internal tooling", client=None, currency="EUR"),
    ]
    expenses = [
        (0, "Stock photography licence", "PS-2231", suppliers[0], "Design", "240.00", "NZD", 40, 70),
        (0, "Staging server (3 months)", "CH-8812", suppliers[1], "Hosting", "147.00", "NZD", 35, 65),
        (1, "Campaign illustrations", "PS-2290", suppliers[0], "Design", "880.00", "EUR", 20, 50),
        (1, "Ad landing page hosting", None, suppliers[1], "Hosting", "59.00", "EUR", 12, None),
        (2, "Design tool seats", "PS-2301", suppliers[0], "Design", "420.00", "EUR", 8, 38),
        (2, "Monitoring service", "CH-8840", suppliers[1], "Development", "95.50", "EUR", 3, 33),
    ]
    for budget_index, description, reference, supplier, service, amount, currency, days_ago, due_in in expenses:
        spent = today - dt.timedelta(days=days_ago)
        budgets[budget_index].expenses.append(Expense(
            description=description, reference=reference, supplier=supplier,
            service_type=service_types[service], amount=Decimal(amount), currency=currency,
            markup_percent=Decimal("10"), date=spent,
            due_date=spent + dt.timedelta(days=30) if due_in else None,
        ))
    db.session.add_all(budgets)
    db.session.commit()
    return password


demo_cli = AppGroup("demo", help="Demo workspace.")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing (quietly) when the database has users.")
@click.option("--migrate", is_flag=True, help="Apply the migrations first (one start-up instead of two).")
def seed_command(if_empty, migrate):
    """Seed the demo workspace into an empty database and print the admin login once."""
    if migrate:
        upgrade()
    if not is_empty():
        if if_empty:
            click.echo(f"Demo data already present. Log in as {ADMIN_EMAIL} with the password printed "
                       "when it was seeded, or get a new one: .venv/bin/flask --app wsgi users set-password "
                       f"--email {ADMIN_EMAIL}")
            return
        raise click.ClickException("The database is not empty; the demo is only seeded into an empty one.")
    password = seed_demo()
    click.echo("Demo workspace created.")
    click.echo(f"Log in at http://127.0.0.1:5000 as {ADMIN_EMAIL}")
    click.echo(f"Password (shown once, keep it): {password}")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
