"""The home page with several billing entities (issue 21): Xero counts as connected once any
entity's organisation is, what needs attention covers every entity's organisation, and the
cost in queries does not grow with the data."""
import datetime as dt
from decimal import Decimal
from uuid import uuid4

from bridge.extensions import db
from bridge.models import BillingEntity, Budget, Expense, XeroConnection, XeroSettings, utcnow
from bridge.billing.entities import first_entity
from tests.conftest import counting_queries
from tests.invoicing import factories
from tests.invoicing.test_home import home, item, step
from tests.workspace.conftest import admin  # noqa: F401  (fixtures)

AU_TENANT = "3b5a6c7d-8e9f-4a1b-9c2d-3e4f5a6b7c8d"
NOW = utcnow()


def second_entity(name="Southern Cross Pty") -> BillingEntity:
    first_entity()
    entity = BillingEntity(name=name, base_currency="AUD")
    db.session.add(entity)
    db.session.commit()
    return entity


def connect(entity: BillingEntity, tenant_id=AU_TENANT, name="Demo Company (AU)", status="active") -> XeroConnection:
    row = XeroConnection(tenant_id=tenant_id, tenant_name=name, entity_id=entity.id, connection_id=str(uuid4()),
                         access_token_encrypted="-", refresh_token_encrypted="-", access_token_expires_at=NOW,
                         status=status)
    db.session.add(row)
    db.session.add(XeroSettings(entity_id=entity.id, tenant_id=tenant_id, configured_at=NOW,
                                default_revenue_account_code="200", export_expenses=True,
                                default_expense_account_code="429"))
    db.session.commit()
    return row


def test_one_connected_entity_is_enough_for_getting_started(admin):
    connect(second_entity())  # the first entity has no organisation
    page = home(admin)
    assert step(page, "connect")["state"] == "done"
    assert "Connected to Demo Company (AU)." in step(page, "connect")["body"]
    assert step(page, "settings")["state"] == "done"


def test_attention_covers_every_entitys_organisation(admin):
    second = second_entity()
    connect(first_entity(), tenant_id=str(uuid4()), name="Demo Company (NZ)", status="needs_reconnect")
    connect(second)
    # An expense of the second entity's budget, ready to be sent to its organisation.
    budget = Budget(name="Sydney launch", currency="AUD", entity_id=second.id)
    db.session.add(budget)
    db.session.commit()
    supplier = factories.company("Harbour Supplies", "AUD")
    db.session.add(Expense(budget_id=budget.id, description="Flyers", supplier_id=supplier.id, amount=Decimal("80"),
                           currency="AUD", date=dt.date(2026, 4, 1), due_date=dt.date(2026, 5, 1)))
    db.session.commit()
    page = home(admin)
    assert "Demo Company (NZ)" in item(page, "reconnect")["body"]
    assert item(page, "expenses")["count"] == "1"


def test_the_home_page_costs_the_same_queries_with_more_data(admin):
    second = second_entity()
    connect(second)

    def queries() -> int:
        with counting_queries() as statements:
            admin.get("/")
        return len(statements)

    client = factories.company()
    factories.invoice(client, issue_date=dt.date(2026, 3, 1))
    few = queries()
    for day in range(2, 28):
        factories.invoice(client, issue_date=dt.date(2026, 3, day))
    assert queries() == few
