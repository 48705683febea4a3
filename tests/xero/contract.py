"""Check requests the client sends against Xero's official OpenAPI files.

The files are loaded once per session by tests/xero_spec.py, from shared/ beside the repo.

- Accounting API calls: openapi-core validates method, path, query and header
  parameters and the JSON body against xero_accounting.yaml. The file does not pass
  openapi-spec-validator (its booleans have string defaults such as default: "false"), so
  the document check is switched off (spec_validator_cls=None); request validation
  itself works. openapi-core ignores query parameters the operation does not declare, so
  those are checked here too.
- /connections: the same against xero-identity.yaml (which spells the path /Connections;
  Xero matches it case-insensitively, XERO_API_NOTES.md §1).
- The token and revocation endpoints are not paths in xero-identity.yaml; their form
  bodies are checked against its RefreshToken schema with openapi-schema-validator, plus
  the rules of RFC 6749/7009 that the notes rely on (grant types, client_secret_basic).
- Rules from XERO_API_NOTES.md the spec cannot say: Accept is always sent, bodies are
  JSON, Idempotency-Key is at most 128 characters, the PDF is fetched with Accept and
  never via the /pdf alias, no token in a query string.
- An attachment upload's body is the file's raw bytes as application/octet-stream
  (`_attachment_problems`): its parameters are validated by openapi-core, its body here.
"""
import base64
import json
import re
import warnings
from urllib.parse import parse_qs, urlsplit

from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest
from openapi_core.exceptions import OpenAPIError
from openapi_schema_validator import OAS30Validator
from requests import PreparedRequest

from tests.xero_spec import accounting, identity, identity_schemas

SPEC_API = "https://api.xero.com/api.xro/2.0"
ATTACHMENT_UPLOAD = re.compile(r"/(Invoices|CreditNotes)/[^/]+/Attachments/[^/]+$")
SPEC_IDENTITY = "https://api.xero.com"




def problems(request: PreparedRequest, config: dict) -> list[str]:
    """What is wrong with one request the client sent; [] when it keeps the contract."""
    url = request.url or ""
    where = f"{request.method} {url}"
    if "access_token" in url or "refresh_token" in url:
        return [f"{where}: a token in the URL"]
    api = config["XERO_API_URL"].rstrip("/")
    connections = config["XERO_CONNECTIONS_URL"].rstrip("/")
    if url.startswith(api + "/"):
        return _accounting_problems(request, SPEC_API + url[len(api):], where)
    if url == connections or url.startswith(connections + "/") or url.startswith(connections + "?"):
        rest = url[len(connections):]
        return _identity_problems(request, SPEC_IDENTITY + "/Connections" + rest, where)
    if url == config["XERO_TOKEN_URL"]:
        return _token_problems(request, config, where)
    if url == config["XERO_REVOCATION_URL"]:
        return _revocation_problems(request, config, where)
    return [f"{where}: not a Xero endpoint Bridge knows"]


def _validate(spec: OpenAPI, request: PreparedRequest, mapped_url: str, where: str) -> list[str]:
    copy = request.copy()
    copy.url = mapped_url
    adapted = RequestsOpenAPIRequest(copy)
    with warnings.catch_warnings():
        # openapi-core cannot check OAuth2 security schemes and says so; the Bearer header
        # is checked below instead.
        warnings.filterwarnings("ignore", "Unsupported scheme type")
        # validate_request, not unmarshal_request: unmarshalling fills in the spec's
        # defaults, and the spec writes boolean defaults as strings ("false"), which would
        # then fail their own schema.
        try:
            spec.validate_request(adapted)
        except OpenAPIError as error:
            return [f"{where}: {_describe(error)}"]
    sent = set(parse_qs(urlsplit(mapped_url).query, keep_blank_values=True))
    unknown = sent - _declared_query(spec, adapted)
    if unknown:
        return [f"{where}: query parameters the spec does not declare: {sorted(unknown)}"]
    return []


def _declared_query(spec: OpenAPI, adapted: RequestsOpenAPIRequest) -> set[str]:
    from openapi_core.templating.paths.finders import APICallPathFinder

    path, operation, _, _, _ = APICallPathFinder(spec.spec).find(
        adapted.method, adapted.host_url + adapted.path
    )
    names = set()
    for level in (path, operation):
        if "parameters" in level:
            for parameter in level / "parameters":
                if parameter["in"] == "query":
                    names.add(parameter["name"])
    return names


def _describe(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    details = getattr(error.__cause__, "schema_errors", None)
    if details:
        text += " " + "; ".join(str(d.message) for d in details)
    return text


def _accounting_problems(request, mapped_url, where) -> list[str]:
    path = urlsplit(mapped_url).path
    if ATTACHMENT_UPLOAD.search(path) and request.method in ("PUT", "POST"):
        return _attachment_problems(request, mapped_url, where)
    found = _validate(accounting(), request, mapped_url, where)
    headers = request.headers
    if path.lower().endswith("/pdf"):
        found.append(f"{where}: the /pdf path is a code-generation alias; Xero answers 404")
    accept = headers.get("Accept", "")
    if accept not in ("application/json", "application/pdf"):
        found.append(f"{where}: Accept must be application/json (or application/pdf), "
                     f"was {accept!r}; without it Xero answers XML")
    if not headers.get("Authorization", "").startswith("Bearer "):
        found.append(f"{where}: no Bearer token")
    if request.body:
        if headers.get("Content-Type") != "application/json":
            found.append(f"{where}: a body without Content-Type: application/json")
        try:
            json.loads(request.body)
        except ValueError:
            found.append(f"{where}: the body is not JSON")
    key = headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= 128:
        found.append(f"{where}: Idempotency-Key must have 1 to 128 characters")
    if key is not None and request.method == "GET":
        found.append(f"{where}: Idempotency-Key on a GET")
    return found


def _attachment_problems(request, mapped_url, where) -> list[str]:
    """An upload: its parameters (path, query, headers) by openapi-core; its body is the file's
    raw bytes as application/octet-stream, which is what the spec's request body names (its
    schema says `format: byte`, base64 text, but Xero and the SDKs send the bytes: the same
    documented exception as tests/sandbox/contract.py `_attachment`)."""
    from openapi_core.validation.request.validators import V30RequestParametersValidator

    found = []
    adapted_copy = request.copy()
    adapted_copy.url = mapped_url
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unsupported scheme type")
        try:
            V30RequestParametersValidator(accounting().spec).validate(RequestsOpenAPIRequest(adapted_copy))
        except OpenAPIError as error:
            found.append(f"{where}: {_describe(error)}")
    headers = request.headers
    if headers.get("Content-Type") != "application/octet-stream":
        found.append(f"{where}: an attachment without Content-Type: application/octet-stream")
    if not request.body:
        found.append(f"{where}: an attachment without bytes")
    if headers.get("Accept") != "application/json":
        found.append(f"{where}: Accept must be application/json")
    if not headers.get("Authorization", "").startswith("Bearer "):
        found.append(f"{where}: no Bearer token")
    key = headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= 128:
        found.append(f"{where}: Idempotency-Key must have 1 to 128 characters")
    sent = set(parse_qs(urlsplit(mapped_url).query, keep_blank_values=True))
    if sent - {"IncludeOnline"}:
        found.append(f"{where}: query parameters the spec does not declare: {sorted(sent - {'IncludeOnline'})}")
    return found


def _identity_problems(request, mapped_url, where) -> list[str]:
    found = _validate(identity(), request, mapped_url, where)
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        found.append(f"{where}: no Bearer token")
    if "xero-tenant-id" in request.headers:
        found.append(f"{where}: /connections takes no xero-tenant-id")
    return found


def _form(request) -> dict:
    body = request.body or ""
    if isinstance(body, bytes):
        body = body.decode()
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _client_auth_problems(request, config, where) -> list[str]:
    found = []
    content_type = request.headers.get("Content-Type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        found.append(f"{where}: must be a form post, was {content_type!r}")
    expected = base64.b64encode(
        f"{config['XERO_CLIENT_ID']}:{config['XERO_CLIENT_SECRET']}".encode()
    ).decode()
    if request.headers.get("Authorization") != f"Basic {expected}":
        found.append(f"{where}: client credentials must go in HTTP Basic (client_secret_basic)")
    if "client_secret" in _form(request):
        found.append(f"{where}: the client secret is in the body as well")
    return found


def _token_problems(request, config, where) -> list[str]:
    found = _client_auth_problems(request, config, where)
    if request.method != "POST":
        found.append(f"{where}: the token endpoint takes POST")
    form = _form(request)
    grant = form.get("grant_type")
    if grant == "refresh_token":
        schema = identity_schemas()["RefreshToken"]
        for error in OAS30Validator(schema).iter_errors(form):
            found.append(f"{where}: RefreshToken schema: {error.message}")
        if not form.get("refresh_token"):
            found.append(f"{where}: refresh without a refresh_token")
        if "scope" in form:
            found.append(f"{where}: a refresh must not ask for scopes (it could widen them)")
    elif grant == "authorization_code":
        for field in ("code", "redirect_uri"):
            if not form.get(field):
                found.append(f"{where}: code exchange without {field}")
    else:
        found.append(f"{where}: unexpected grant_type {grant!r}")
    return found


def _revocation_problems(request, config, where) -> list[str]:
    found = _client_auth_problems(request, config, where)
    if request.method != "POST":
        found.append(f"{where}: the revocation endpoint takes POST")
    if not _form(request).get("token"):
        found.append(f"{where}: revocation without a token")
    return found
