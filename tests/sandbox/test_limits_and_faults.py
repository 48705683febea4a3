"""Rate limits (minute, day, concurrent) and faults injected through the control API."""
import time

import pytest

from bridge.xero_sandbox import config, faults
from bridge.xero_sandbox.seed import AU_TENANT, NZ_TENANT

from .helpers import OAuth, Api


@pytest.fixture
def limited(make_app, contract):
    """An app with tiny limits, connected to both organisations."""
    def build(**limits):
        app = make_app(**limits)
        client = app.test_client()
        tokens = OAuth(client, contract).connect(tenants=(NZ_TENANT, AU_TENANT))
        return app, client, Api(client, contract, tokens["access_token"], NZ_TENANT)
    return build


def test_minute_limit_per_organisation(limited):
    _app, client, api = limited(SANDBOX_CALLS_PER_MINUTE=3)
    remaining = [api.get("/Organisation").headers["X-MinLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = api.get("/Organisation", check=False)
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-MinLimit-Remaining"] == "0"
    assert api.get("/Organisation", tenant=AU_TENANT).status_code == 200  # another organisation
    client.post("/_sandbox/clock/advance", json={"seconds": 61})
    assert api.get("/Organisation").status_code == 200


def test_day_limit(limited):
    _app, client, api = limited(SANDBOX_CALLS_PER_DAY=2)
    assert [api.get("/Organisation").headers["X-DayLimit-Remaining"] for _ in range(2)] == ["1", "0"]
    refused = api.get("/Organisation", check=False)
    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) > 86000
    client.post("/_sandbox/clock/advance", json={"seconds": 86400})
    # The clock moved a day, so the token expired too: the limit itself has reset.
    with client.application.test_request_context():
        assert faults.enter(NZ_TENANT) is None


def test_app_minute_limit_spans_organisations(limited):
    _app, _client, api = limited(SANDBOX_APP_CALLS_PER_MINUTE=2)
    api.get("/Organisation")
    assert api.get("/Organisation", tenant=AU_TENANT).headers["X-AppMinLimit-Remaining"] == "0"
    assert api.get("/Organisation", check=False).headers["X-Rate-Limit-Problem"] == "appminute"


def test_concurrent_limit(limited):
    app, _client, api = limited(SANDBOX_CONCURRENT_LIMIT=2)
    with app.test_request_context():
        assert faults.enter(NZ_TENANT) is None and faults.enter(NZ_TENANT) is None
        refused = api.get("/Organisation", check=False)
        assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "concurrent"
        faults.leave(NZ_TENANT)
        assert api.get("/Organisation").status_code == 200  # its slot is released after the call
        assert api.get("/Organisation").status_code == 200


def test_injected_503_for_one_path_prefix(api, client):
    created = client.post("/_sandbox/faults", json={"kind": "503", "count": 2, "path_prefix": "/api.xro/2.0/Invoices"})
    assert created.status_code == 201
    assert api.get("/Organisation").status_code == 200
    assert [api.get("/Invoices", check=False).status_code for _ in range(3)] == [503, 503, 200]


def test_injected_429_and_500_and_method_filter(api, client):
    client.post("/_sandbox/faults", json={"kind": "429", "count": 1, "retry_after": 7, "method": "PUT"})
    client.post("/_sandbox/faults", json={"kind": "500", "count": 1})
    assert api.get("/Organisation", check=False).status_code == 500
    refused = api.put("/Contacts", {"Contacts": [{"Name": "Z"}]}, check=False)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "7"
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert api.get("/Organisation").status_code == 200
    assert client.get("/_sandbox/faults").get_json() == {"faults": [], "random": None}


def test_injected_timeout_then_504(api, client):
    client.post("/_sandbox/faults", json={"kind": "timeout", "seconds": 0.3, "count": 1})
    started = time.monotonic()
    response = api.get("/Organisation", check=False)
    assert response.status_code == 504 and time.monotonic() - started >= 0.3


def test_faults_can_hit_the_token_endpoint(oauth, client):
    tokens = oauth.connect()
    client.post("/_sandbox/faults", json={"kind": "503", "count": 1, "path_prefix": "/connect/token"})
    assert oauth.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code == 503
    assert oauth.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code == 200


def test_pending_faults_are_listed_with_what_they_will_send(client):
    client.post("/_sandbox/faults", json={"kind": "429", "count": 2, "retry_after": 7, "problem": "day"})
    assert client.get("/_sandbox/faults").get_json() == {"faults": [{
        "kind": "429", "count": 2, "method": None, "path_prefix": None, "seconds": 0.0,
        "then": "504", "retry_after": 7, "problem": "day"}], "random": None}


@pytest.mark.parametrize("body", [
    {"kind": "418"}, {"kind": "429", "count": 0}, {"kind": "429", "retry_after": "soon"},
    {"kind": "429", "retry_after": 1.5}, {"kind": "timeout", "seconds": "long"},
    {"kind": "timeout", "seconds": -1}, {"kind": "timeout", "then": "crash"},
])
def test_bad_fault_requests_are_refused(client, body):
    assert client.post("/_sandbox/faults", json=body).status_code == 400
    assert client.get("/_sandbox/faults").get_json() == {"faults": [], "random": None}


def test_control_api_is_off_unless_enabled(make_app, monkeypatch):
    assert make_app(SANDBOX_CONTROL_ENABLED=False).test_client().get("/_sandbox/").status_code == 404
    monkeypatch.delenv("SANDBOX_CONTROL_ENABLED", raising=False)
    assert config.from_environment()["SANDBOX_CONTROL_ENABLED"] is False
    monkeypatch.setenv("SANDBOX_CONTROL_ENABLED", "true")
    assert config.from_environment()["SANDBOX_CONTROL_ENABLED"] is True


def test_reset_organisation_to_its_seed(api, client):
    contact = api.get("/Contacts").get_json()["Contacts"][0]["ContactID"]
    api.put("/Invoices", {"Invoices": [{"Type": "ACCREC", "Contact": {"ContactID": contact},
                                        "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 1}]}]})
    assert api.get("/Invoices").get_json()["pagination"]["itemCount"] == 7
    reset = client.post(f"/_sandbox/organisations/{NZ_TENANT}/reset")
    assert reset.status_code == 200
    after = api.get("/Invoices").get_json()
    assert after["pagination"]["itemCount"] == 6
    assert {i["InvoiceNumber"] for i in after["Invoices"]} >= {"INV-0001", "INV-0004"}
    assert api.get("/Organisation").status_code == 200  # the connection survives a reset


def test_payments_as_if_in_the_xero_ui(api, client):
    invoice = api.get("/Invoices", query={"InvoiceNumbers": "INV-0001"}).get_json()["Invoices"][0]
    made = client.post(f"/_sandbox/organisations/{NZ_TENANT}/payments",
                       json={"invoice": invoice["InvoiceID"], "amount": "25.00", "reference": "Cash"})
    assert made.status_code == 201
    payment = made.get_json()
    assert payment["Amount"] == 25.0
    assert api.get(f"/Invoices/{invoice['InvoiceID']}").get_json()["Invoices"][0]["AmountPaid"] == 25.0
    removed = client.delete(f"/_sandbox/organisations/{NZ_TENANT}/payments/{payment['PaymentID']}")
    assert removed.status_code == 200 and removed.get_json()["Status"] == "DELETED"
    too_much = client.post(f"/_sandbox/organisations/{NZ_TENANT}/payments",
                           json={"invoice": invoice["InvoiceID"], "amount": "99999"})
    assert too_much.status_code == 400
    assert "exceeds the amount outstanding" in too_much.get_json()["error"]


def test_archive_account_and_contact_through_control(api, client):
    client.post(f"/_sandbox/organisations/{NZ_TENANT}/accounts/260/archive")
    accounts = {a["Code"]: a["Status"] for a in api.get("/Accounts").get_json()["Accounts"]}
    assert accounts["260"] == "ARCHIVED"
    acme = api.get("/Contacts", query={"where": 'Name=="Acme Ltd"'}).get_json()["Contacts"][0]
    client.post(f"/_sandbox/organisations/{NZ_TENANT}/contacts/{acme['ContactID']}/archive")
    assert api.get("/Contacts", query={"where": 'Name=="Acme Ltd"'}).get_json()["Contacts"] == []


def test_random_faults_hit_the_given_share_of_matching_calls(api, client):
    answer = client.put("/_sandbox/faults/random", json={"rate": 1, "kinds": ["500"],
                                                          "path_prefix": "/api.xro/2.0/Invoices"})
    assert answer.status_code == 200
    assert [api.get("/Invoices", check=False).status_code for _ in range(3)] == [500, 500, 500]
    assert api.get("/Organisation").status_code == 200  # outside the prefix
    assert client.get("/_sandbox/").status_code == 200  # the control API is never hit
    assert client.get("/_sandbox/faults").get_json()["random"]["drawn"] == {"500": 3}

    client.put("/_sandbox/faults/random", json={"rate": 0.5, "kinds": ["503"]})
    statuses = [api.get("/Organisation", check=False).status_code for _ in range(40)]
    assert set(statuses) == {200, 503} and 5 < statuses.count(503) < 35

    client.put("/_sandbox/faults/random", json={"rate": 0})
    assert client.get("/_sandbox/faults").get_json()["random"] is None
    assert api.get("/Invoices").status_code == 200


def test_queued_faults_come_before_random_ones_and_clearing_stops_both(api, client):
    client.put("/_sandbox/faults/random", json={"rate": 1, "kinds": ["500"], "retry_after": 2})
    client.post("/_sandbox/faults", json={"kind": "429", "count": 1, "retry_after": 7})
    assert api.get("/Organisation", check=False).headers["Retry-After"] == "7"
    assert api.get("/Organisation", check=False).status_code == 500
    assert client.delete("/_sandbox/faults").status_code == 204
    assert api.get("/Organisation").status_code == 200


@pytest.mark.parametrize("body", [{}, {"rate": 1.5}, {"rate": -0.1}, {"rate": "often"},
                                  {"rate": 0.1, "kinds": []}, {"rate": 0.1, "kinds": ["418"]},
                                  {"rate": 0.1, "seconds": -1}, {"rate": 0.1, "retry_after": 0.5}])
def test_bad_random_fault_settings_are_refused(client, body):
    assert client.put("/_sandbox/faults/random", json=body).status_code == 400
    assert client.get("/_sandbox/faults").get_json()["random"] is None
