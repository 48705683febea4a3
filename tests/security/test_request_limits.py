"""Request size limits (issue 18): the app refuses bodies past MAX_CONTENT_LENGTH, the webhook
past its much smaller WEBHOOK_MAX_CONTENT_LENGTH, both while the body is read (a body with no
Content-Length is cut off, not buffered), before any signature is computed, with a 413 that
says why and sets no cookie."""
import io

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.conftest import PROJECT_ROOT, make_app
from tests.payments.test_webhooks import KEY, sign


class EndlessBody(io.RawIOBase):
    """A request body that never ends (chunked upload), counting what the server read."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"[" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


@pytest.fixture
def webhook(database_url, app):
    return make_app(database_url, XERO_WEBHOOK_KEY=KEY).test_client()


def test_a_signed_webhook_body_past_the_webhook_limit_is_413_before_the_signature(webhook):
    limit = webhook.application.config["WEBHOOK_MAX_CONTENT_LENGTH"]
    body = b'{"events": [], "pad": "' + b"x" * limit + b'"}'
    answer = webhook.post("/webhooks/xero", data=body, headers={"x-xero-signature": sign(body)})
    assert answer.status_code == 413
    assert answer.mimetype == "text/plain" and b"too large" in answer.data
    assert "Set-Cookie" not in answer.headers


def test_a_webhook_body_without_length_is_cut_off_while_read(webhook):
    body = EndlessBody()
    environ = EnvironBuilder(path="/webhooks/xero", method="POST", headers={"x-xero-signature": "x"}).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": body, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    _, status, _ = run_wsgi_app(webhook.application, environ, buffered=True)
    assert status.startswith("413")
    assert body.read_bytes <= webhook.application.config["WEBHOOK_MAX_CONTENT_LENGTH"] + 64 * 1024


def test_the_app_limit_is_configurable_and_the_page_says_what_it_is(admin, ids):
    admin.application.config["MAX_CONTENT_LENGTH"] = 100_000
    answer = admin.post(f"/invoices/{ids['invoice_id']}/edit", data={"notes": "x" * 200_000})
    assert answer.status_code == 413
    page = answer.get_data(as_text=True)
    assert "That is too large: Bridge accepts at most 98 KB. Nothing was saved." in page
    assert "<h1>Too large</h1>" in page and "<h1>413" not in page
    assert "Set-Cookie" not in answer.headers


def test_the_default_limits_are_documented(app):
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    assert app.config["WEBHOOK_MAX_CONTENT_LENGTH"] == 64 * 1024
    for name in ("MAX_CONTENT_LENGTH", "WEBHOOK_MAX_CONTENT_LENGTH", "RATELIMIT_STORAGE_URI"):
        assert f"| `{name}` |" in readme
