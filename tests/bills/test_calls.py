"""Xero calls of sending expenses as bills, counted by the sandbox over real HTTP: the suppliers'
contacts of a selection cost one look-up and one creation (not one or two per supplier), and
contacts stay exactly once when Xero's answer is lost, a name differs only in letter case, or
Xero refuses one contact."""
import re
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
import requests
import responses
from requests.adapters import HTTPAdapter
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Company, XeroActivity
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.bills.conftest import bill_rows, make_expense, recorded, sandbox_bills, text
from tests.bills.test_batch import run, start

# Northwind Studio is in the sandbox's demo organisation (found); the others are new (created).
SUPPLIERS = ["Northwind Studio", "Blue Harbour Print", "Kauri Paper Ltd", "Tui Couriers", "Fern Signs"]


def api_calls(sandbox) -> list[str]:
    """Every Accounting API call the sandbox answered, as "METHOD /Path"."""
    entries = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=10,
                           params={"path_prefix": "/api.xro/2.0"}).json()["requests"]
    return [f"{e['method']} {e['path'].removeprefix('/api.xro/2.0')}" for e in entries]


def suppliers(names: list[str]) -> list[Company]:
    companies = [Company(name=name, default_currency="NZD") for name in names]
    db.session.add_all(companies)
    db.session.commit()
    return companies


def sandbox_contacts(name: str) -> list[dict]:
    """The sandbox's active contacts with this name in any letter case."""
    with XeroClient(NZ_TENANT) as client:
        return [c for c in client.search_contacts(name) if c["Name"].casefold() == name.casefold()]


@pytest.fixture
def lose_contact_answers(monkeypatch):
    """Xero creates the contacts of every PUT /Contacts, but its answers never arrive (the
    connection breaks each time, as when the process is killed while waiting)."""
    real_send = HTTPAdapter.send
    losing = SimpleNamespace(on=True, lost=[])

    def send(adapter, request, **kwargs):
        response = real_send(adapter, request, **kwargs)
        if request.method == "PUT" and "/Contacts" in request.url and losing.on:
            losing.lost.append(request)
            raise requests.ReadTimeout("read timed out (simulated: Xero's answer was lost)")
        return response

    monkeypatch.setattr(HTTPAdapter, "send", send)
    return losing


def test_a_hundred_expenses_of_five_new_suppliers_cost_four_calls(connected, admin, workspace, sandbox):
    companies = suppliers(SUPPLIERS[1:])
    companies.insert(0, workspace["northwind"])
    expenses = [make_expense(workspace, reference=f"SUP-{n}", description=f"Expense {n}",
                             supplier_id=companies[n % 5].id) for n in range(100)]
    before = len(api_calls(sandbox))
    answers = run(admin, workspace["budget"].id, start(admin, workspace["budget"].id, [e.id for e in expenses]))
    assert "100 of 100 done: finished." in text(answers[-1])
    calls = api_calls(sandbox)[before:]
    assert sorted(calls) == ["GET /Contacts", "PUT /Contacts", "PUT /Invoices", "PUT /Invoices"]
    (lookup,) = [e for e in recorded(sandbox, "GET", "/Contacts")]
    assert unquote(lookup["query"].replace("+", " ")).count("Name==") == 5  # all five in one look-up
    (created,) = recorded(sandbox, "PUT", "/Contacts")
    assert "summarizeErrors=false" in created["query"] and created["idempotency_key"]
    # Each supplier is linked to its own contact: the one Xero had, or one created once.
    db.session.expire_all()
    northwind = sandbox_contacts("Northwind Studio")
    assert len(northwind) == 1 and workspace["northwind"].xero_contact_id == northwind[0]["ContactID"]
    for company in companies[1:]:
        (contact,) = sandbox_contacts(company.name)
        assert company.xero_contact_id == contact["ContactID"] and company.xero_contact_name == company.name
    bills = sandbox_bills()
    assert len(bills) == 100 and [row.state for row in bill_rows()] == ["done"] * 100
    by_reference = {b["InvoiceNumber"]: b["Contact"]["ContactID"] for b in bills}
    assert all(by_reference[f"SUP-{n}"] == companies[n % 5].xero_contact_id for n in range(100))
    logged = [(a.operation, a.outcome) for a in db.session.scalars(
        select(XeroActivity).where(XeroActivity.operation.in_(["contact", "contact_lookup"])))]
    assert sorted(logged) == [("contact", "ok")] * 4 + [("contact_lookup", "ok")]


def test_a_second_selection_of_linked_suppliers_costs_one_call_per_batch(connected, admin, workspace, sandbox):
    first = [make_expense(workspace, reference=f"A-{n}") for n in range(2)]
    run(admin, workspace["budget"].id, start(admin, workspace["budget"].id, [e.id for e in first]))
    before = len(api_calls(sandbox))
    more = [make_expense(workspace, reference=f"B-{n}") for n in range(3)]
    run(admin, workspace["budget"].id, start(admin, workspace["budget"].id, [e.id for e in more]))
    assert api_calls(sandbox)[before:] == ["PUT /Invoices"]


def test_a_lost_contact_answer_is_found_by_name_not_created_again(connected, admin, workspace, sandbox,
                                                                  lose_contact_answers):
    companies = suppliers(["Kauri Paper Ltd", "Tui Couriers"])
    expenses = [make_expense(workspace, reference=f"K-{n}", supplier_id=companies[n % 2].id) for n in range(4)]
    started = start(admin, workspace["budget"].id, [e.id for e in expenses])
    (answer,) = run(admin, workspace["budget"].id, started)
    # Xero made both contacts, Bridge never heard: no bill is sent without its contact.
    assert text(answer).count("Xero could not give a contact for the supplier") == 4
    assert len(sandbox_contacts("Kauri Paper Ltd")) == len(sandbox_contacts("Tui Couriers")) == 1
    assert sandbox_bills() == [] and bill_rows() == []
    puts = recorded(sandbox, "PUT", "/Contacts")
    assert len(puts) == len(lose_contact_answers.lost) == 1 and puts[0]["idempotency_key"]
    errors = [a.summary for a in db.session.scalars(select(XeroActivity).where(XeroActivity.outcome == "error"))]
    assert any("looked for by its name before it is sent again" in s for s in errors)

    lose_contact_answers.on = False
    before = len(api_calls(sandbox))
    (again,) = run(admin, workspace["budget"].id, started)  # the same selection again
    assert text(again).count("— bill ") == 4, text(again)
    assert api_calls(sandbox)[before:] == ["GET /Contacts", "PUT /Invoices"]
    assert len(recorded(sandbox, "PUT", "/Contacts")) == len(puts)  # nothing created twice
    db.session.expire_all()
    for company in companies:
        (contact,) = sandbox_contacts(company.name)
        assert company.xero_contact_id == contact["ContactID"]


def test_a_name_in_another_letter_case_is_linked_not_duplicated(connected, admin, workspace, sandbox):
    # The sandbox's == is case-sensitive (as Xero's may be): "northwind studio" is not found by
    # the look-up, Xero refuses to create it (the name is taken), and a search ignoring case finds it.
    lower, fresh = suppliers(["northwind studio", "Fern Signs"])
    expenses = [make_expense(workspace, reference=f"F-{n}", supplier_id=c.id) for n, c in enumerate([lower, fresh])]
    before = len(api_calls(sandbox))
    (answer,) = run(admin, workspace["budget"].id, start(admin, workspace["budget"].id, [e.id for e in expenses]))
    assert text(answer).count("— bill ") == 2, text(answer)
    assert api_calls(sandbox)[before:] == ["GET /Contacts", "PUT /Contacts", "GET /Contacts", "PUT /Invoices"]
    db.session.expire_all()
    (northwind,) = sandbox_contacts("Northwind Studio")
    assert lower.xero_contact_id == northwind["ContactID"] and lower.xero_contact_name == "Northwind Studio"
    (fern,) = sandbox_contacts("Fern Signs")
    assert fresh.xero_contact_id == fern["ContactID"]


def test_suppliers_of_one_name_share_one_contact(connected, admin, workspace, sandbox):
    twins = suppliers(["Tui Couriers", "TUI COURIERS "])
    expenses = [make_expense(workspace, reference=f"T-{n}", supplier_id=c.id) for n, c in enumerate(twins)]
    run(admin, workspace["budget"].id, start(admin, workspace["budget"].id, [e.id for e in expenses]))
    (created,) = recorded(sandbox, "PUT", "/Contacts")
    (contact,) = sandbox_contacts("Tui Couriers")
    db.session.expire_all()
    assert {c.xero_contact_id for c in twins} == {contact["ContactID"]}
    assert len(sandbox_bills()) == 2


def test_a_contact_xero_refuses_refuses_its_expenses_only(connected, admin, workspace, sandbox, app):
    """PUT /Contacts answers 200 with the contact refused (summarizeErrors=false), and no contact
    has its name in any letter case: that supplier's expenses say Xero's message, those of the
    linked supplier are sent."""
    northwind = workspace["northwind"]
    northwind.xero_contact_id = sandbox_contacts("Northwind Studio")[0]["ContactID"]
    db.session.commit()
    found, refused = make_expense(workspace, reference="N-1", supplier_id=northwind.id), \
        make_expense(workspace, reference="P-1")
    api = app.config["XERO_API_URL"]
    envelope = {"Id": "7b2f0d5e-0d55-4d1e-9f51-3c4d2b1a0e99", "Status": "OK", "ProviderName": "Bridge"}
    answer = {**envelope, "Contacts": [{"Name": "Paper & Ink Co", "HasValidationErrors": True,
                                        "StatusAttributeString": "ERROR",
                                        "ValidationErrors": [{"Message": "Email address must be valid."}]}]}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add_passthru(re.compile(r"^(?!" + re.escape(api) + r"/Contacts\?).*"))
        lookups = mock.add(responses.GET, re.compile(re.escape(api) + r"/Contacts\?.*"),
                           json={**envelope, "Contacts": []})
        mock.add(responses.PUT, re.compile(re.escape(api) + r"/Contacts\?summarizeErrors=false"), json=answer)
        (page,) = run(admin, workspace["budget"].id, start(admin, workspace["budget"].id, [found.id, refused.id]))
    assert lookups.call_count == 2  # by name, then ignoring case after the refusal
    item = re.search(r'<li id="bulk-item-%d".*?</li>' % refused.id, page.get_data(as_text=True), re.S).group(0)
    assert "Email address must be valid." in item
    assert [b["InvoiceNumber"] for b in sandbox_bills()] == ["N-1"]
    db.session.expire_all()
    assert workspace["paper"].xero_contact_id is None
    summaries = [a.summary for a in db.session.scalars(select(XeroActivity).where(XeroActivity.outcome == "error"))]
    assert summaries == ["Xero refused the contact Paper & Ink Co: Xero refused it: Email address must be valid."]
