"""The sandbox on a real port, driven by plain `requests` (an independent client)."""
import base64
import hashlib
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from bridge.xero_sandbox.seed import NZ_TENANT

from .helpers import TEST_CLIENT


@pytest.fixture
def live(app):
    """The app served by werkzeug on a free port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def test_full_flow_over_http(live):
    session = requests.Session()
    consent = {"response_type": "code", "client_id": TEST_CLIENT["id"], "redirect_uri": TEST_CLIENT["redirect"],
               "scope": "openid offline_access accounting.transactions accounting.contacts", "state": "live"}
    page = session.get(f"{live}/identity/connect/authorize", params=consent, timeout=10)
    assert page.status_code == 200 and "not real Xero" in page.text
    decided = session.post(f"{live}/identity/connect/authorize", data=dict(consent, decision="allow", tenant=NZ_TENANT),
                           allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(decided.headers["Location"]).query)["code"][0]
    tokens = session.post(f"{live}/connect/token", auth=(TEST_CLIENT["id"], TEST_CLIENT["secret"]), timeout=10,
                          data={"grant_type": "authorization_code", "code": code,
                                "redirect_uri": TEST_CLIENT["redirect"]}).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": NZ_TENANT,
               "Accept": "application/json"}
    tenants = session.get(f"{live}/connections", headers={"Authorization": headers["Authorization"]}, timeout=10).json()
    assert tenants[0]["tenantId"] == NZ_TENANT
    contact = session.get(f"{live}/api.xro/2.0/Contacts", headers=headers, timeout=10,
                          params={"searchTerm": "northwind"}).json()["Contacts"][0]
    created = session.put(f"{live}/api.xro/2.0/Invoices", headers=dict(headers, **{"Idempotency-Key": "live-1"}),
                          json={"Invoices": [{"Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]},
                                              "Status": "AUTHORISED", "LineItems": [{
                                                  "Description": "Live", "Quantity": 2, "UnitAmount": 50,
                                                  "AccountCode": "200", "TaxType": "OUTPUT2"}]}]}, timeout=10)
    assert created.status_code == 200 and "X-MinLimit-Remaining" in created.headers
    invoice = created.json()["Invoices"][0]
    assert invoice["Total"] == 115.0
    pdf = session.get(f"{live}/api.xro/2.0/Invoices/{invoice['InvoiceID']}",
                      headers=dict(headers, Accept="application/pdf"), timeout=10)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    refreshed = session.post(f"{live}/connect/token", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": TEST_CLIENT["id"], "client_secret": TEST_CLIENT["secret"]})
    assert refreshed.status_code == 200 and refreshed.json()["refresh_token"] != tokens["refresh_token"]
    revoked = session.post(f"{live}/connect/revocation", timeout=10, data={"token": refreshed.json()["refresh_token"]},
                           headers={"Authorization": "Basic " + base64.b64encode(
                               f"{TEST_CLIENT['id']}:{TEST_CLIENT['secret']}".encode()).decode()})
    assert revoked.status_code == 200


def test_client_timeout_against_a_hanging_request(live):
    requests.post(f"{live}/_sandbox/faults", json={"kind": "timeout", "seconds": 0.1, "then": "hang",
                                                   "path_prefix": "/connections"}, timeout=10)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{live}/connections", timeout=0.5)
    assert requests.delete(f"{live}/_sandbox/faults", timeout=10).status_code == 204  # releases the hang
    assert requests.get(f"{live}/connections", timeout=10).status_code == 401


def test_a_late_answer_comes_after_the_work_is_done(live):
    """A "late" fault: the request is served (Xero did the work), its answer is held back."""
    requests.put(f"{live}/_sandbox/faults/random", timeout=10,
                 json={"rate": 1, "kinds": ["late"], "seconds": 1.0, "path_prefix": "/connect/revocation"})
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{live}/connect/revocation", data={"token": "x"}, timeout=0.3)
    requests.delete(f"{live}/_sandbox/faults", timeout=10)
    recorded = requests.get(f"{live}/_sandbox/requests", params={"path_prefix": "/connect/revocation"},
                            timeout=10).json()["requests"]
    assert [r["status"] for r in recorded] == [400]  # served (no client: refused), only late
    # Meanwhile and afterwards, other calls are not held up.
    assert requests.get(f"{live}/connections", timeout=0.5).status_code == 401


def test_concurrent_payments_never_overpay(make_app, contract):
    from concurrent.futures import ThreadPoolExecutor

    from .helpers import Api, OAuth

    app = make_app(SANDBOX_CONCURRENT_LIMIT=100)
    tokens = OAuth(app.test_client(), contract).connect()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/api.xro/2.0"
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": NZ_TENANT,
               "Accept": "application/json"}
    try:
        target = Api(app.test_client(), contract, tokens["access_token"], NZ_TENANT).get(
            "/Invoices", query={"InvoiceNumbers": "INV-0001"}).get_json()["Invoices"][0]  # 1,725.00 due
        body = {"Invoice": {"InvoiceID": target["InvoiceID"]}, "Account": {"Code": "090"},
                "Date": "2026-03-01", "Amount": 300}

        def pay(_):
            return requests.post(f"{base}/Payments", json=body, headers=headers, timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = sorted(pool.map(pay, range(8)))
        assert statuses == [200] * 5 + [400] * 3  # 5 x 300 = 1,500; a sixth would exceed 225.00 due
        invoice = requests.get(f"{base}/Invoices/{target['InvoiceID']}", headers=headers, timeout=30).json()
        assert invoice["Invoices"][0]["AmountDue"] == 225.0
    finally:
        server.shutdown()


def test_an_oidc_client_verifies_the_id_token(live):
    """authlib (as Bridge uses it) runs the flow; joserfc checks the id_token against the JWKS."""
    from authlib.integrations.requests_client import OAuth2Session
    from joserfc import jwt
    from joserfc.jwk import KeySet

    metadata = requests.get(f"{live}/.well-known/openid-configuration", timeout=10).json()
    assert metadata["issuer"] == live and metadata["jwks_uri"].startswith(live)
    session = OAuth2Session(TEST_CLIENT["id"], TEST_CLIENT["secret"], redirect_uri=TEST_CLIENT["redirect"],
                            scope="openid profile email offline_access accounting.transactions")
    url, state = session.create_authorization_url(metadata["authorization_endpoint"], nonce="n-0S6")
    consent = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    answer = requests.post(f"{live}/identity/connect/authorize", allow_redirects=False, timeout=10,
                           data=dict(consent, decision="allow", tenant=NZ_TENANT))
    token = session.fetch_token(metadata["token_endpoint"], authorization_response=answer.headers["Location"],
                                state=state)
    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": metadata["issuer"]},
                          aud={"essential": True, "value": TEST_CLIENT["id"]},
                          nonce={"essential": True, "value": "n-0S6"}).validate(id_token.claims)
    digest = hashlib.sha256(token["access_token"].encode()).digest()[:16]
    assert id_token.claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert id_token.claims["email"] == "demo.user@sandbox.invalid"
    access = jwt.decode(token["access_token"], keys, algorithms=["RS256"]).claims
    assert access["authentication_event_id"] and access["xero_userid"] == id_token.claims["sub"]
    info = requests.get(metadata["userinfo_endpoint"], timeout=10,
                        headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert info["sub"] == id_token.claims["sub"]


def _api_headers(live: str, session: requests.Session) -> dict:
    """Consent and code exchange over HTTP; the headers of an Accounting call for NZ."""
    consent = {"response_type": "code", "client_id": TEST_CLIENT["id"], "redirect_uri": TEST_CLIENT["redirect"],
               "scope": "openid offline_access accounting.transactions accounting.contacts", "state": "cn"}
    decided = session.post(f"{live}/identity/connect/authorize", data=dict(consent, decision="allow", tenant=NZ_TENANT),
                           allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(decided.headers["Location"]).query)["code"][0]
    tokens = session.post(f"{live}/connect/token", auth=(TEST_CLIENT["id"], TEST_CLIENT["secret"]), timeout=10,
                          data={"grant_type": "authorization_code", "code": code,
                                "redirect_uri": TEST_CLIENT["redirect"]}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": NZ_TENANT,
            "Accept": "application/json"}


def test_credit_note_allocation_refund_and_removal_over_http(live):
    """A credit note's life as a plain HTTP client sees it: create, allocate, refund, PDF,
    remove the allocation (DELETE), and the invoice owes again."""
    session = requests.Session()
    headers = _api_headers(live, session)
    api = f"{live}/api.xro/2.0"
    contact = session.get(f"{api}/Contacts", headers=headers, timeout=10,
                          params={"searchTerm": "northwind"}).json()["Contacts"][0]["ContactID"]
    line = {"Description": "Live", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200", "TaxType": "OUTPUT2"}
    invoice = session.put(f"{api}/Invoices", headers=headers, timeout=10, json={"Invoices": [{
        "Type": "ACCREC", "Contact": {"ContactID": contact}, "Status": "AUTHORISED", "LineItems": [line]}]}).json()["Invoices"][0]
    note = session.put(f"{api}/CreditNotes", headers=dict(headers, **{"Idempotency-Key": "live-cn-1"}), timeout=10,
                       json={"CreditNotes": [{"Type": "ACCRECCREDIT", "Contact": {"ContactID": contact},
                                              "Status": "AUTHORISED", "LineItems": [line]}]}).json()["CreditNotes"][0]
    allocated = session.put(f"{api}/CreditNotes/{note['CreditNoteID']}/Allocations", headers=headers, timeout=10,
                            json={"Allocations": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": 100,
                                                   "Date": "2026-03-03"}]})
    assert allocated.status_code == 200
    allocation = allocated.json()["Allocations"][0]["AllocationID"]
    refund = session.put(f"{api}/Payments", headers=headers, timeout=10, json={"Payments": [{
        "CreditNote": {"CreditNoteID": note["CreditNoteID"]}, "Account": {"Code": "090"}, "Amount": 15}]})
    assert refund.status_code == 200 and refund.json()["Payments"][0]["PaymentType"] == "ARCREDITPAYMENT"
    after = session.get(f"{api}/CreditNotes/{note['CreditNoteID']}", headers=headers, timeout=10).json()["CreditNotes"][0]
    assert (after["Status"], after["RemainingCredit"]) == ("PAID", 0)
    pdf = session.get(f"{api}/CreditNotes/{note['CreditNoteID']}", headers=dict(headers, Accept="application/pdf"),
                      timeout=10)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    removed = session.delete(f"{api}/CreditNotes/{note['CreditNoteID']}/Allocations/{allocation}", headers=headers,
                             timeout=10)
    assert removed.status_code == 200 and removed.json()["IsDeleted"] is True
    owed = session.get(f"{api}/Invoices/{invoice['InvoiceID']}", headers=headers, timeout=10).json()["Invoices"][0]
    assert (owed["Status"], owed["AmountDue"], owed["AmountCredited"]) == ("AUTHORISED", 115.0, 0)
