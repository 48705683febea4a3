"""Tracking on bills, against the sandbox over real HTTP: Department follows the expense's service
type (Printing -> Marketing) and Region the budget (Launch campaign -> International); an option
archived in Xero is refused before any call, for one expense and in a batch."""
import json

from bridge.extensions import db
from bridge.models import Budget, Company
from bridge.xero.api.ratelimit import call_counts, reset_call_counts
from tests.bills.conftest import bill_rows, make_expense, post_send, recorded, sandbox_bills, text
from tests.bills.test_batch import run, start
from tests.copy.test_contract import sent  # noqa: F401  (fixture)
from tests.copy.tracking import choice, line_tracking, map_tracking
from tests.xero import contract


def test_a_bill_line_carries_the_service_types_and_the_budgets_options(connected, admin, workspace, sandbox,
                                                                        sent, app):
    map_tracking(choice("Department", "service_type", {workspace["printing"].id: "Marketing"}),
                 choice("Region", "budget", {workspace["budget"].id: "International"}), theme="Agency")
    expense = make_expense(workspace)
    assert post_send(admin, expense).status_code == 200
    (bill,) = sandbox_bills()
    assert line_tracking(bill) == [{"Department": "Marketing", "Region": "International"}]
    (request,) = [r for r in sent if r.method == "PUT" and "/Invoices" in r.url]
    body = json.loads(request.body)["Invoices"][0]
    assert body["LineItems"][0]["Tracking"] == [{"Name": "Department", "Option": "Marketing"},
                                                {"Name": "Region", "Option": "International"}]
    assert "BrandingThemeID" not in body  # themes are for sales invoices
    assert [p for r in sent for p in contract.problems(r, app.config)] == []
    # An expense without a service type: Region only (nothing for Department).
    other = make_expense(workspace, service_type_id=None, reference="PI-1002")
    assert post_send(admin, other).status_code == 200
    assert line_tracking(sandbox_bills()[-1]) == [{"Region": "International"}]


def test_the_client_source_is_the_budgets_client(connected, admin, workspace, sandbox):
    client = Company(name="Harbour Lights Ltd", default_currency="NZD")
    db.session.add(client)
    db.session.flush()
    db.session.get(Budget, workspace["budget"].id).client_id = client.id
    db.session.commit()
    map_tracking(choice("Region", "client", {client.id: "South"}))
    assert post_send(admin, make_expense(workspace)).status_code == 200
    assert line_tracking(sandbox_bills()[0]) == [{"Region": "South"}]


def test_an_archived_option_is_refused_before_any_call(connected, admin, workspace, sandbox):
    map_tracking(choice("Region", "budget", {workspace["budget"].id: "Central"}))
    expense = make_expense(workspace)
    reset_call_counts()
    response = post_send(admin, expense)
    assert response.status_code == 422
    assert "The tracking option Central (Region), mapped to the budget Launch campaign, is archived" in text(response)
    assert call_counts() == {}
    # In a batch: refused without a row, and no contact is made for it either.
    others = [make_expense(workspace, reference=f"B-{n}").id for n in range(2)]
    answers = run(admin, workspace["budget"].id, start(admin, workspace["budget"].id, others))
    assert "is archived in Xero" in " ".join(text(a) for a in answers)
    assert call_counts() == {}
    assert recorded(sandbox, "PUT", "/Invoices") == [] and bill_rows() == []
