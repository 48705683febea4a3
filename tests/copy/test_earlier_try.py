"""A copy whose first try reached Xero although the call then ended in 429s: Xero's answer to
that try was lost (a read timeout), urllib3 sent it again with the same key, and Xero refused
every later try for its rate limit until Bridge gave up. The invoice is in Xero all the same,
so the copy must not say "nothing was sent" (the person would copy again and meet Xero's
"must be unique"), but "not known yet", and the next try finds it."""
from uuid import uuid4

from tests.copy.conftest import copies, northwind, post_copy, recorded, sandbox_invoices, text


def test_a_rate_limit_after_a_lost_answer_is_not_taken_for_nothing_sent(connected, admin, invoice, sandbox, app):
    app.config["XERO_TIMEOUT"] = 1.0
    invoices = "/api.xro/2.0/Invoices"
    sandbox.control("faults", kind="late", count=1, seconds=3, method="PUT", path_prefix=invoices)
    # The retry after the lost answer, and each of Bridge's three waits on a minute limit.
    sandbox.control("faults", kind="429", count=4, method="PUT", path_prefix=invoices, retry_after=1)
    contact, key = northwind(), str(uuid4())

    first = post_copy(admin, invoice, contact=contact, key=key)
    assert first.status_code == 422
    assert "nothing was sent" not in text(first)
    assert "Bridge cannot tell yet whether Xero created the invoice" in text(first)
    assert [row.state for row in copies()] == ["unknown"]
    assert len(sandbox_invoices(contact.split("|")[0])) == 1  # Xero did create it

    puts = len(recorded(sandbox, "PUT", "/Invoices"))
    retry = post_copy(admin, invoice, contact=contact, key=key)
    assert retry.status_code == 200, text(retry)
    assert len(recorded(sandbox, "PUT", "/Invoices")) == puts  # found in Xero, not sent again
    assert [row.state for row in copies()] == ["done"]
    assert len(sandbox_invoices(contact.split("|")[0])) == 1
