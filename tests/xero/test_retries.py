"""Rate limits, 5xx and timeouts, with Xero mocked by `responses`.

`responses` replaces the HTTP adapter's send, so it emulates urllib3's status retries but
neither sleeps between them nor retries timeouts; test_transport.py covers those on a
real socket.
"""
import pytest
import requests

from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroRateLimited, XeroUnavailable
from bridge.xero.api.ratelimit import CallBudget
from tests.xero.conftest import FakeClock, stored
from tests.xero.payloads import API, TENANT_ID, envelope, invoice, new_invoice, organisation

OK_INVOICES = envelope("Invoices", [invoice(StatusAttributeString="OK")])


def test_minute_limit_429_waits_retry_after_then_succeeds(xero, xero_http, sleeps):
    xero_http.get(f"{API}/Organisation", status=429, body="",
                  headers={"Retry-After": "7", "X-Rate-Limit-Problem": "Minute",
                           "X-MinLimit-Remaining": "0"})
    xero_http.get(f"{API}/Organisation", json=organisation())
    assert xero.get_organisation()["Name"] == "Demo Company (NZ)"
    assert sleeps == [7.0]
    assert len(xero_http.calls) == 2
    assert xero.calls[(TENANT_ID, "GET /Organisation")] == 2


def test_minute_limit_429_on_a_write_without_key_is_retried_too(xero, xero_http, sleeps):
    """A 429 means Xero did nothing, so even a write without a key can be repeated."""
    xero_http.put(f"{API}/Invoices", status=429, headers={"Retry-After": "3",
                                                        "X-Rate-Limit-Problem": "minute"})
    xero_http.put(f"{API}/Invoices", json=OK_INVOICES)
    xero.create_invoices([new_invoice()])
    assert sleeps == [3.0] and len(xero_http.calls) == 2


def test_minute_limit_429_gives_up_after_a_few_waits(xero, xero_http, sleeps, xero_app):
    xero_http.get(f"{API}/Organisation", status=429,
                  headers={"Retry-After": "5", "X-Rate-Limit-Problem": "minute"})
    with pytest.raises(XeroRateLimited) as raised:
        xero.get_organisation()
    assert sleeps == [5.0, 5.0, 5.0]
    assert len(xero_http.calls) == 4
    assert raised.value.retry_after == 5 and not raised.value.is_daily
    assert "try again in 5 seconds" in str(raised.value)
    assert "limiting calls" in stored(xero_app)["last_error"]


@pytest.mark.parametrize("problem", ["day", "Day", "DayLimit", "DAY"])
def test_day_limit_429_is_raised_not_slept_on(xero, xero_http, sleeps, problem):
    xero_http.get(f"{API}/Organisation", status=429,
                  headers={"Retry-After": "66975", "X-Rate-Limit-Problem": problem,
                           "X-DayLimit-Remaining": "0"})
    with pytest.raises(XeroRateLimited) as raised:
        xero.get_organisation()
    assert raised.value.retry_after == 66975 and raised.value.problem == problem
    assert raised.value.is_daily
    assert "daily limit" in str(raised.value) and "18.6 hours" in str(raised.value)
    assert sleeps == [] and len(xero_http.calls) == 1


def test_a_long_retry_after_is_raised_whatever_the_limit(xero, xero_http, sleeps):
    xero_http.get(f"{API}/Organisation", status=429,
                  headers={"Retry-After": "600", "X-Rate-Limit-Problem": "appminute"})
    with pytest.raises(XeroRateLimited):
        xero.get_organisation()
    assert sleeps == []


def test_503_then_success_on_a_get(xero, xero_http):
    xero_http.get(f"{API}/Organisation", status=503, body="Service Unavailable")
    xero_http.get(f"{API}/Organisation", json=organisation())
    assert xero.get_organisation()["Name"] == "Demo Company (NZ)"
    assert len(xero_http.calls) == 2
    assert xero.calls[(TENANT_ID, "GET /Organisation")] == 2


def test_503_then_success_on_a_put_with_idempotency_key(xero, xero_http):
    xero_http.put(f"{API}/Invoices", status=503)
    xero_http.put(f"{API}/Invoices", json=OK_INVOICES)
    created = xero.create_invoices([new_invoice()], idempotency_key="bridge-inv-1-v1")
    assert created[0]["StatusAttributeString"] == "OK"
    assert [c.request.headers["Idempotency-Key"] for c in xero_http.calls] == [
        "bridge-inv-1-v1", "bridge-inv-1-v1"]
    assert [c.request.body for c in xero_http.calls][0] == xero_http.calls[1].request.body


def test_503_on_a_put_without_idempotency_key_is_not_retried(xero, xero_http, xero_app):
    xero_http.put(f"{API}/Invoices", status=503)
    xero_http.put(f"{API}/Invoices", json=OK_INVOICES)
    with pytest.raises(XeroUnavailable) as raised:
        xero.create_invoices([new_invoice()])
    assert len(xero_http.calls) == 1
    assert "did not retry" in str(raised.value) and "check Xero" in str(raised.value)
    assert raised.value.status == 503
    assert stored(xero_app)["last_error"] == str(raised.value)


def test_5xx_retries_are_bounded(xero, xero_http):
    xero_http.get(f"{API}/Organisation", status=502)
    with pytest.raises(XeroUnavailable, match=r"having problems at the moment \(Bridge tried 4 times\)"):
        xero.get_organisation()
    assert len(xero_http.calls) == 4


def test_a_timeout_becomes_unavailable(xero, xero_http):
    xero_http.get(f"{API}/Organisation", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(XeroUnavailable, match="did not answer within 20 seconds"):
        xero.get_organisation()


def test_a_timeout_on_a_write_without_key_says_to_check_xero(xero, xero_http):
    xero_http.put(f"{API}/Invoices", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(XeroUnavailable, match="may have received it"):
        xero.create_invoices([new_invoice()])


def test_unreachable(xero, xero_http):
    xero_http.get(f"{API}/Organisation",
                  body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(XeroUnavailable, match="could not reach Xero"):
        xero.get_organisation()


def test_per_minute_budget_waits_when_the_window_is_full(xero_app, connection, xero_http):
    clock = FakeClock()
    xero_app.config["XERO_CALLS_PER_MINUTE"] = 3
    client = XeroClient(TENANT_ID, sleep=clock.sleep, budget=CallBudget(clock=clock))
    xero_http.get(f"{API}/Organisation", json=organisation())
    for _ in range(3):
        client.get_organisation()
    assert clock.sleeps == []
    clock.now += 20
    client.get_organisation()  # the first three were 20 s ago: wait the other 40 s
    assert clock.sleeps == [40.0]
    client.get_organisation()
    client.get_organisation()
    assert clock.sleeps == [40.0]  # the window slid: those fit
    client.get_organisation()
    assert clock.sleeps == [40.0, 60.0]
    assert len(xero_http.calls) == 7


def test_budget_is_per_organisation():
    clock = FakeClock()
    budget = CallBudget(clock=clock)
    for _ in range(2):
        budget.acquire("org-a", 2, clock.sleep)
    assert budget.acquire("org-b", 2, clock.sleep) == 0
    assert budget.acquire("org-a", 2, clock.sleep) == 60.0
    assert budget.in_window("org-a") == 1 and budget.in_window("org-b") == 0


def test_retries_count_against_the_budget(xero_app, connection, xero_http):
    clock = FakeClock()
    xero_app.config["XERO_CALLS_PER_MINUTE"] = 2
    budget = CallBudget(clock=clock)
    client = XeroClient(TENANT_ID, sleep=clock.sleep, budget=budget)
    xero_http.get(f"{API}/Organisation", status=503)
    xero_http.get(f"{API}/Organisation", status=503)
    xero_http.get(f"{API}/Organisation", json=organisation())
    client.get_organisation()
    assert len(xero_http.calls) == 3
    assert clock.sleeps == [60.0]  # the third attempt had to wait for the window
