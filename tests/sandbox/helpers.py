"""Helpers shared by the sandbox tests: configuration, the OAuth flow through a test
client, and an API caller that validates every exchange against Xero's OpenAPI files."""
import base64
import json
from urllib.parse import parse_qs, urlsplit

from bridge.xero_sandbox.seed import NZ_TENANT

DB_NAME = "xero-sandbox-test.sqlite"
TEST_CLIENT = {"id": "test-client", "secret": "test-secret", "redirect": "http://app.test/callback"}
ALL_SCOPES = ("openid profile email offline_access accounting.settings accounting.contacts "
              "accounting.transactions")
ATTACHMENT_SCOPES = ALL_SCOPES + " accounting.attachments"


def sandbox_config(tmp_path, **overrides) -> dict:
    """Test configuration: temp database, control API on, a test OAuth client."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / DB_NAME}",
        "SANDBOX_CONTROL_ENABLED": True,
        "SANDBOX_CLIENTS": {
            TEST_CLIENT["id"]: {"name": "Bridge tests", "secret": TEST_CLIENT["secret"],
                                "redirect_uris": [TEST_CLIENT["redirect"]]},
            "other-client": {"name": "Other app", "secret": "other-secret",
                             "redirect_uris": ["http://other.test/cb"]},
        },
    }
    config.update(overrides)
    return config


def basic(client_id: str = TEST_CLIENT["id"], secret: str = TEST_CLIENT["secret"]) -> dict:
    """HTTP Basic client authentication headers."""
    token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class OAuth:
    """Runs the authorization-code flow through the test client."""

    def __init__(self, client, contract):
        self.client = client
        self.contract = contract

    def authorize(self, scope: str = ALL_SCOPES, tenants=(NZ_TENANT,), decision: str = "allow",
                  state: str = "state-123"):
        """Consent; returns the redirect's query parameters."""
        params = {"response_type": "code", "client_id": TEST_CLIENT["id"],
                  "redirect_uri": TEST_CLIENT["redirect"], "scope": scope, "state": state}
        page = self.client.get("/identity/connect/authorize", query_string=params)
        assert page.status_code == 200, page.data
        form = dict(params, decision=decision)
        response = self.client.post("/identity/connect/authorize",
                                    data={**form, "tenant": list(tenants)})
        assert response.status_code == 302, response.data
        location = urlsplit(response.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == TEST_CLIENT["redirect"]
        return {k: v[0] for k, v in parse_qs(location.query).items()}

    def token(self, **form):
        """POST /connect/token with Basic client auth; returns the response."""
        response = self.client.post("/connect/token", data=form, headers=basic())
        if response.status_code == 200:
            self.contract.check_identity_schema("AccessToken", response.get_json())
        return response

    def connect(self, scope: str = ALL_SCOPES, tenants=(NZ_TENANT,)) -> dict:
        """Consent and exchange the code: the token response plus the tenant ids."""
        query = self.authorize(scope, tenants)
        response = self.token(grant_type="authorization_code", code=query["code"],
                              redirect_uri=TEST_CLIENT["redirect"])
        assert response.status_code == 200, response.data
        return dict(response.get_json(), tenants=list(tenants))


class Api:
    """Accounting/identity calls with the bearer token and tenant, contract-checked."""

    def __init__(self, client, contract, token: str, tenant: str):
        self.client, self.contract, self.token, self.tenant = client, contract, token, tenant

    def headers(self, extra: dict | None = None, tenant: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}", "xero-tenant-id": tenant or self.tenant,
                   "Accept": "application/json"}
        headers.update(extra or {})
        return headers

    def call(self, method: str, path: str, json_body=None, query=None, headers=None,
             tenant=None, validate_request: bool = True, check: bool = True, raw: bytes | None = None):
        """One call (a JSON body, or raw bytes as a file upload); the exchange is validated
        against the spec unless check=False."""
        full = path if path.startswith("/connections") or path.startswith("/Connections") else f"/api.xro/2.0{path}"
        sent = self.headers(headers, tenant)
        body = json.dumps(json_body).encode() if json_body is not None else raw
        if body is not None:
            sent.setdefault("Content-Type", "application/json" if raw is None else "application/octet-stream")
        response = self.client.open(full, method=method, data=body, query_string=query or {},
                                    headers=sent)
        if check:
            self.contract.check(method, full, {k: str(v) for k, v in (query or {}).items()}, sent, body,
                                response.status_code, response.content_type or "", response.get_data(),
                                validate_request=validate_request)
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def put(self, path, body, **kw):
        return self.call("PUT", path, json_body=body, **kw)

    def post(self, path, body, **kw):
        return self.call("POST", path, json_body=body, **kw)

    def upload(self, path, content: bytes, method: str = "PUT", **kw):
        """A file's bytes, as the SDKs send them (application/octet-stream unless told)."""
        return self.call(method, path, raw=content, **kw)


def messages(body: dict) -> list[str]:
    """All validation messages of a ValidationException or summarizeErrors=false answer."""
    elements = body.get("Elements")
    if elements is None:
        elements = next((v for k, v in body.items() if isinstance(v, list) and k not in ("Warnings",)), [])
    return [m["Message"] for e in elements for m in e.get("ValidationErrors", [])]
