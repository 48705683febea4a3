"""Contract checks: requests and responses validated against Xero's official OpenAPI files.

The spec files are loaded once per session by tests/xero_spec.py (never copied into the repo).
"""
import json
import re
import warnings

from jsonschema import FormatChecker
from openapi_core import OpenAPI
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

from tests import xero_spec

HOST = "https://api.xero.com"
XERO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ACCOUNTING_PREFIX = "/api.xro/2.0"


class Contract:
    """Both specs, and helpers to validate one exchange against them."""

    def __init__(self) -> None:
        xero_spec.require()
        self.accounting = xero_spec.accounting()
        self.identity = xero_spec.identity()
        self.identity_components = xero_spec.identity_schemas()
        self.checked: list[str] = []
        self.unspecified: list[str] = []

    def _spec_and_path(self, path: str, pdf: bool) -> tuple[OpenAPI, str]:
        """Which spec covers a sandbox path, and the path as the spec spells it."""
        if path.startswith(ACCOUNTING_PREFIX):
            if pdf and path.count("/") == 4:
                # getInvoiceAsPdf is described on /Invoices/{InvoiceID}/pdf with x-path
                # /Invoices/{InvoiceID}: the real call is the Accept header on the plain path.
                path = path + "/pdf"
            return self.accounting, path
        parts = path.split("/")
        if len(parts) > 1 and parts[1].lower() == "connections":
            parts[1] = "Connections"  # the spec's spelling; the sandbox matches any case
        return self.identity, "/".join(parts)

    def check(self, method: str, path: str, query: dict, headers: dict, body: bytes | None,
              status: int, content_type: str, data: bytes, validate_request: bool = True) -> None:
        """Validate the request (optionally) and, where the spec defines the status, the response."""
        pdf = content_type.startswith("application/pdf")
        spec, spec_path = self._spec_and_path(path, pdf)
        request = MockRequest(
            HOST, method.lower(), spec_path, args=query, headers=headers, data=body or b"",
            content_type=headers.get("Content-Type", "application/json"),
        )
        with warnings.catch_warnings():
            # openapi-core cannot check OAuth2 security schemes and warns on every request.
            warnings.filterwarnings("ignore", message="Unsupported scheme type")
            self._check(spec, spec_path, method, request, status, content_type, data, validate_request)

    def _check(self, spec, spec_path, method, request, status, content_type, data, validate_request) -> None:
        """The body of check, with openapi-core's security warning silenced."""
        if validate_request:
            spec.validate_request(request)
        if spec is self.identity and spec_path == "/Connections" and method == "GET" and status == 200:
            self._check_connections(data)
            return
        response = MockResponse(data, status_code=status, content_type=content_type.split(";")[0])
        try:
            spec.validate_response(request, response)
        except ResponseNotFound:
            # e.g. 401/403/404/429: the spec describes no body for these statuses.
            self.unspecified.append(f"{method} {spec_path} {status}")
            return
        self.checked.append(f"{method} {spec_path} {status}")

    def _check_connections(self, data: bytes) -> None:
        """GET /Connections against the Connection schema, with one documented divergence.

        The schema says `format: date-time` (RFC 3339, which needs a zone), but the spec's
        own example and real Xero send `2019-12-07T18:46:19.5165400`: no zone, 7 digits.
        The sandbox follows Xero, so date-time here also accepts exactly that form.
        """
        checker = FormatChecker()

        @checker.checks("date-time")
        def _xero_date_time(value) -> bool:
            return not isinstance(value, str) or bool(XERO_DATE_TIME.match(value) or RFC3339.match(value))

        schema = {"type": "array", "items": self.identity_components["Connection"]}
        OAS30Validator(schema, format_checker=checker).validate(json.loads(data))
        self.checked.append("GET /Connections 200")

    def check_identity_schema(self, schema: str, instance) -> None:
        """Validate a JSON value against an identity component schema: the token endpoint
        is described only as components (AccessToken), not as a path."""
        OAS30Validator(self.identity_components[schema]).validate(instance)
