"""Identity: consent, codes, tokens, rotation with grace, revocation, connections."""
import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

from bridge.xero_sandbox.seed import AU_TENANT, NZ_TENANT

from .helpers import ALL_SCOPES, TEST_CLIENT, basic


def claims(jwt: str) -> dict:
    """The payload of a JWT (three base64url parts)."""
    parts = jwt.split(".")
    assert len(parts) == 3
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def advance(client, seconds):
    assert client.post("/_sandbox/clock/advance", json={"seconds": seconds}).status_code == 200


def test_consent_page_shows_app_scopes_and_organisations(client):
    page = client.get("/identity/connect/authorize", query_string={
        "response_type": "code", "client_id": TEST_CLIENT["id"], "redirect_uri": TEST_CLIENT["redirect"],
        "scope": "openid accounting.transactions", "state": "s"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Xero sandbox — not real Xero" in html
    assert "Bridge tests" in html and "accounting.transactions" in html
    assert "Demo Company (NZ)" in html and "Demo Company (AU)" in html
    assert 'value="allow"' in html and 'value="deny"' in html


def test_allow_redirects_with_code_and_state(oauth):
    query = oauth.authorize(state="xyz")
    assert query["state"] == "xyz" and len(query["code"]) > 20


def test_deny_redirects_with_access_denied(oauth):
    query = oauth.authorize(decision="deny", state="xyz")
    assert query == {"error": "access_denied", "state": "xyz"}


def test_allow_without_an_organisation_is_refused(client):
    response = client.post("/identity/connect/authorize", data={
        "client_id": TEST_CLIENT["id"], "redirect_uri": TEST_CLIENT["redirect"],
        "scope": "accounting.transactions", "state": "s", "decision": "allow"})
    assert response.status_code == 400
    assert "Tick at least one organisation" in response.get_data(as_text=True)


def test_unknown_client_gets_an_error_page_not_a_redirect(client):
    response = client.get("/identity/connect/authorize", query_string={
        "response_type": "code", "client_id": "nobody", "redirect_uri": TEST_CLIENT["redirect"],
        "scope": "openid", "state": "s"})
    assert response.status_code == 400 and "Location" not in response.headers
    assert "Unknown client_id" in response.get_data(as_text=True)


def test_unregistered_redirect_uri_gets_an_error_page(client):
    for method in (client.get, client.post):
        kwargs = {"query_string" if method == client.get else "data": {
            "response_type": "code", "client_id": TEST_CLIENT["id"], "scope": "openid",
            "redirect_uri": "http://evil.test/cb", "state": "s", "decision": "allow"}}
        response = method("/identity/connect/authorize", **kwargs)
        assert response.status_code == 400 and "Location" not in response.headers
        assert "redirect_uri is not registered" in response.get_data(as_text=True)


def test_code_exchange_issues_xero_shaped_tokens(oauth):
    tokens = oauth.connect()
    assert tokens["expires_in"] == 1800 and tokens["token_type"] == "Bearer"
    assert set(tokens["scope"].split()) == set(ALL_SCOPES.split())
    access = claims(tokens["access_token"])
    for claim in ("authentication_event_id", "xero_userid", "exp"):
        assert claim in access
    identity = claims(tokens["id_token"])
    assert identity["aud"] == TEST_CLIENT["id"] and "email" in identity
    assert tokens["refresh_token"]


def test_no_refresh_token_without_offline_access_and_no_id_token_without_openid(oauth):
    tokens = oauth.connect(scope="accounting.transactions")
    assert "refresh_token" not in tokens and "id_token" not in tokens


def test_form_body_client_authentication_works(client, oauth):
    query = oauth.authorize()
    response = client.post("/connect/token", data={
        "grant_type": "authorization_code", "code": query["code"], "redirect_uri": TEST_CLIENT["redirect"],
        "client_id": TEST_CLIENT["id"], "client_secret": TEST_CLIENT["secret"]})
    assert response.status_code == 200


def test_wrong_client_secret_is_invalid_client(client, oauth):
    query = oauth.authorize()
    response = client.post("/connect/token", headers=basic(secret="wrong"), data={
        "grant_type": "authorization_code", "code": query["code"], "redirect_uri": TEST_CLIENT["redirect"]})
    assert response.status_code == 400 and response.get_json() == {"error": "invalid_client"}


def test_code_is_single_use(oauth):
    query = oauth.authorize()
    form = dict(grant_type="authorization_code", code=query["code"], redirect_uri=TEST_CLIENT["redirect"])
    assert oauth.token(**form).status_code == 200
    second = oauth.token(**form)
    assert second.status_code == 400 and second.get_json()["error"] == "invalid_grant"


def test_code_expires_after_five_minutes(client, oauth):
    query = oauth.authorize()
    advance(client, 301)
    response = oauth.token(grant_type="authorization_code", code=query["code"],
                           redirect_uri=TEST_CLIENT["redirect"])
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_code_with_another_redirect_uri_is_refused(oauth):
    query = oauth.authorize()
    response = oauth.token(grant_type="authorization_code", code=query["code"],
                           redirect_uri="http://app.test/other")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_refresh_rotates_and_the_old_token_replays_within_grace(client, oauth):
    first = oauth.connect()
    rotated = oauth.token(grant_type="refresh_token", refresh_token=first["refresh_token"]).get_json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    advance(client, 29 * 60)
    replay = oauth.token(grant_type="refresh_token", refresh_token=first["refresh_token"]).get_json()
    assert replay["refresh_token"] == rotated["refresh_token"]
    assert replay["access_token"] == rotated["access_token"]
    advance(client, 2 * 60)  # past the 30-minute grace period
    late = oauth.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert late.status_code == 400 and late.get_json() == {"error": "invalid_grant"}
    newest = oauth.token(grant_type="refresh_token", refresh_token=rotated["refresh_token"])
    assert newest.status_code == 200


def test_access_token_expires_after_1800_seconds(client, oauth):
    tokens = oauth.connect()
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": NZ_TENANT,
               "Accept": "application/json"}
    assert client.get("/api.xro/2.0/Organisation", headers=headers).status_code == 200
    advance(client, 1800)
    response = client.get("/api.xro/2.0/Organisation", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["Detail"].startswith("TokenExpired: token expired at ")
    assert response.get_json()["Title"] == "Unauthorized"


def test_refresh_token_of_another_client_is_invalid_grant(client, oauth):
    tokens = oauth.connect()
    response = client.post("/connect/token", headers=basic("other-client", "other-secret"),
                           data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_connections_list_camel_case_with_iso_dates(client, contract, oauth):
    tokens = oauth.connect(tenants=(NZ_TENANT, AU_TENANT))
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = client.get("/connections", headers=headers)
    contract.check("GET", "/connections", {}, headers, None, response.status_code,
                   response.content_type, response.get_data())
    body = response.get_json()
    assert {c["tenantId"] for c in body} == {NZ_TENANT, AU_TENANT}
    first = body[0]
    assert list(first) == ["id", "authEventId", "tenantId", "tenantType", "tenantName",
                           "createdDateUtc", "updatedDateUtc"]
    assert first["tenantType"] == "ORGANISATION"
    assert first["authEventId"] == claims(tokens["access_token"])["authentication_event_id"]
    date = first["createdDateUtc"]
    assert not date.endswith("Z") and len(date.split(".")[1]) == 7


def test_connections_path_is_case_insensitive_and_filters_by_auth_event(client, oauth):
    first = oauth.connect(tenants=(NZ_TENANT,))
    second = oauth.connect(tenants=(AU_TENANT,))
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    everything = client.get("/Connections", headers=headers).get_json()
    assert {c["tenantId"] for c in everything} == {NZ_TENANT, AU_TENANT}
    event = claims(first["access_token"])["authentication_event_id"]
    only_first = client.get("/CONNECTIONS", headers=headers, query_string={"authEventId": event}).get_json()
    assert [c["tenantId"] for c in only_first] == [NZ_TENANT]


def test_reconnecting_moves_updated_date_but_keeps_created(client, oauth):
    oauth.connect()
    advance(client, 60)
    tokens = oauth.connect()
    connection = client.get("/connections", headers={"Authorization": f"Bearer {tokens['access_token']}"}).get_json()[0]
    assert connection["createdDateUtc"] != connection["updatedDateUtc"]


def test_delete_connection_then_tenant_is_forbidden(client, contract, oauth):
    tokens = oauth.connect()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    connection = client.get("/connections", headers=headers).get_json()[0]
    response = client.delete(f"/connections/{connection['id']}", headers=headers)
    contract.check("DELETE", f"/connections/{connection['id']}", {}, headers, None,
                   response.status_code, response.content_type or "", response.get_data())
    assert response.status_code == 204
    assert client.delete(f"/connections/{connection['id']}", headers=headers).status_code == 404
    assert client.get("/connections", headers=headers).get_json() == []
    api_headers = dict(headers, **{"xero-tenant-id": NZ_TENANT, "Accept": "application/json"})
    denied = client.get("/api.xro/2.0/Organisation", headers=api_headers)
    assert denied.status_code == 403 and denied.get_json()["Detail"] == "AuthenticationUnsuccessful"


def test_delete_unknown_connection_is_404(client, oauth):
    tokens = oauth.connect()
    response = client.delete("/connections/00000000-0000-0000-0000-000000000000",
                             headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 404


def test_revocation_kills_the_token_set_and_all_connections(client, oauth):
    tokens = oauth.connect(tenants=(NZ_TENANT, AU_TENANT))
    response = client.post("/connect/revocation", headers=basic(), data={"token": tokens["refresh_token"]})
    assert response.status_code == 200 and response.get_data() == b""
    refresh = oauth.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refresh.status_code == 400 and refresh.get_json()["error"] == "invalid_grant"
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/connections", headers=headers).status_code == 401
    fresh = oauth.connect(scope="accounting.settings", tenants=(AU_TENANT,))
    listed = client.get("/connections", headers={"Authorization": f"Bearer {fresh['access_token']}"}).get_json()
    assert [c["tenantId"] for c in listed] == [AU_TENANT]  # NZ stayed disconnected


def test_pkce_public_client(make_app):
    clients = {"public": {"name": "Public", "redirect_uris": ["http://pub.test/cb"]}}
    client = make_app(SANDBOX_CLIENTS=clients).test_client()
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    response = client.post("/identity/connect/authorize", data={
        "client_id": "public", "redirect_uri": "http://pub.test/cb", "scope": "openid accounting.settings",
        "state": "s", "decision": "allow", "tenant": [NZ_TENANT], "code_challenge": challenge,
        "code_challenge_method": "S256"})
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "client_id": "public",
            "redirect_uri": "http://pub.test/cb"}
    assert client.post("/connect/token", data=form).get_json() == {"error": "invalid_client"}
    wrong = client.post("/connect/token", data=dict(form, code_verifier="w" * 50))
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"
    # a failed verifier does not burn the code: the right one still works
    assert client.post("/connect/token", data=dict(form, code_verifier=verifier)).status_code == 200
