"""The two ways in that carry no session of ours: Xero's OAuth callback (the state) and
Xero's webhook (the signature). Whatever arrives, forged or malformed, is refused with a
4xx, stores nothing and never gives a 500. (The happy paths and the named cases are in
tests/marketplace/test_connect.py and tests/payments/test_webhooks.py.)"""
import base64
import json

from hypothesis import given, strategies as st

from bridge.extensions import db
from bridge.models import XeroConnection, XeroPendingConsent
from tests.payments.test_webhooks import deliver, sign, strict  # noqa: F401  (fixture)

query_values = st.text(max_size=60) | st.sampled_from(["", "access_denied", "server_error"])
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
                           max_leaves=10)
events = st.fixed_dictionaries({"events": st.lists(st.fixed_dictionaries({
    "eventCategory": st.sampled_from(["INVOICE", "CONTACT", "invoice", ""]) | json_values,
    "tenantId": json_values, "resourceId": json_values}), max_size=3)}, optional={"extra": json_values})


@given(params=st.dictionaries(st.sampled_from(["state", "code", "error", "scope", "session_state"]),
                              query_values))
def test_a_forged_oauth_callback_is_refused_and_stores_nothing(admin, params):
    started = admin.get("/marketplace/xero/connect")  # a real state is now in the session
    assert started.status_code == 302
    response = admin.get("/marketplace/xero/callback", query_string=params)
    assert response.status_code == 302 and response.headers["Location"] == "/settings/marketplace"
    page = admin.get("/settings/marketplace").get_data(as_text=True)
    assert "flash flash-error" in page, "the refusal is said, not silent"
    assert db.session.scalar(db.select(db.func.count()).select_from(XeroConnection)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(XeroPendingConsent)) == 0


header_text = st.text(st.characters(blacklist_characters="\r\n\x00"), max_size=60)  # what HTTP can carry


@given(body=st.binary(max_size=200),
       signature=st.none() | header_text | st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()))
def test_a_webhook_without_the_right_signature_is_refused(strict, body, signature):
    response = deliver(strict, body, signature)
    assert response.status_code == 401 and response.data == b""
    assert "Set-Cookie" not in response.headers


@given(payload=events | json_values)
def test_any_signed_json_is_answered_200_and_never_crashes(strict, payload):
    body = json.dumps(payload).encode()
    assert deliver(strict, body, sign(body)).status_code == 200
    # A signature for another body, or from another key, is not this body's.
    assert deliver(strict, body + b" ", sign(body)).status_code == 401
    assert deliver(strict, body, sign(body, key="another-key")).status_code == 401
