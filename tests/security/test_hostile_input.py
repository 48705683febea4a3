"""No 500 from input (issue 18). Ids and page numbers past the database's integer range are
404, a signed webhook body that is too deep or not JSON is a 400 without a cookie, error
pages set no cookie; and a property test walks every route of app.url_map with hostile values
in the path, the query string and the form, as anonymous, member and admin: never a 5xx."""
import json
import re
from urllib.parse import quote

import pytest
from hypothesis import given, settings, strategies as st

from tests.conftest import make_app
from tests.payments.test_webhooks import KEY, sign
from tests.security.routes import all_routes

HUGE = "9223372036854775808"


@pytest.mark.parametrize("path", [
    f"/invoices/{HUGE}", f"/invoices/{HUGE}/edit", "/invoices/2147483648", f"/clients/{HUGE}/edit",
    f"/budgets/{HUGE}/edit", f"/expenses/{HUGE}", "/invoices/１２", "/invoices/١٢", "/invoices/0",
    f"/?page={HUGE}", f"/settings/marketplace/xero/activity?page={HUGE}",
])
def test_ids_and_pages_past_the_integer_range_are_404(admin, path):
    answer = admin.get(path)
    assert answer.status_code == 404, path
    assert "Set-Cookie" not in answer.headers


@pytest.mark.parametrize("page", ["-3", "abc", "１", "1.5", "", "0"])
def test_a_page_that_is_no_number_is_the_first_page(admin, page):
    assert admin.get("/", query_string={"page": page}).status_code == 200


def test_an_anonymous_error_page_sets_no_cookie(client):
    for path in (f"/invoices/{HUGE}", "/no-such-page"):
        answer = client.get(path)
        assert answer.status_code == 404 and "Set-Cookie" not in answer.headers


@pytest.fixture
def webhook(database_url, app):
    return make_app(database_url, XERO_WEBHOOK_KEY=KEY).test_client()


@pytest.mark.parametrize("body", [
    b"[" * 5000 + b"]" * 5000,
    b'{"events": ' * 3000 + b"[]" + b"}" * 3000,
    b"not json", b"\xff\xfe\x00", b'{"events": [1, 2',
])
def test_a_signed_webhook_body_that_is_not_readable_json_is_400_without_cookie(webhook, body):
    answer = webhook.post("/webhooks/xero", data=body, headers={"x-xero-signature": sign(body)})
    assert answer.status_code == 400
    assert "Set-Cookie" not in answer.headers


# --- the property test --------------------------------------------------------------------

HOSTILE = [
    HUGE, "18446744073709551616", "2147483648", "-1", "-9223372036854775809", "0", "00000000001",
    "NaN", "nan", "inf", "-Infinity", "1e309", "1E-400", "１２３", "١٢٣", "٣.٥", "²", "1_000", "0x10",
    "\x00", "a\x00b", "x" * 1_000_000, "2026-02-30", "0000-00-00", "9999-12-31", "-2026-01-01",
    "2026-13-45T99:99", "../../etc/passwd", "%", "%00", "' OR 1=1 --", "<script>alert(1)</script>",
    " ", "", "\u202e", "😀" * 50, "1.5", "-0", "true",
]
hostile = st.one_of(st.sampled_from(HOSTILE), st.integers(min_value=-2**70, max_value=2**70).map(str),
                    st.text(max_size=40))
QUERY_NAMES = ["page", "q", "next", "invoice_id", "status", "client", "outcome", "popup", "issued_from",
               "issued_to", "currency", "state", "tenant_id"]
FORM_NAMES = [
    "email", "password", "name", "amount", "date", "reference", "currency", "notes", "subject",
    "client_id", "issue_date", "due_date", "invoice_ids", "expense_ids", "items-0", "total", "status",
    "lines-0-description", "lines-0-quantity", "lines-0-unit_price", "lines-0-discount",
    "lines-0-service_type_id", "lines-0-tax_rate_id", "remove_line", "add_line", "all_matching",
    "invoice_number_pattern", "attempt_key", "action", "value", "tenant_id", "contact_id", "tax_type",
]
ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def hostile_path(rule, ids: dict, values: dict) -> str:
    """The rule's path with each argument a real id or the drawn hostile value."""
    def fill(match):
        name = match.group(1)
        value = values.get(name)
        return quote(value, safe="") if value is not None else str(ids.get(name, 1))
    return ARGUMENT.sub(fill, rule.rule)


def requests_for(rule):
    """One request to `rule`: hostile path arguments, query string and form."""
    return st.fixed_dictionaries({
        "path": st.fixed_dictionaries({name: st.none() | hostile for name in rule.arguments}),
        "query": st.dictionaries(st.sampled_from(QUERY_NAMES), hostile, max_size=3),
        "form": st.dictionaries(st.sampled_from(FORM_NAMES), hostile, max_size=5),
        "htmx": st.booleans(),
    })


def log_in(client, who):
    from tests.conftest import ADMIN, MEMBER
    person = ADMIN if who == "admin" else MEMBER
    client.post("/login", data={"email": person["email"], "password": person["password"]},
                environ_base={"REMOTE_ADDR": f"192.0.2.{1 if who == 'admin' else 2}"})


@pytest.mark.parametrize("who", ["anonymous", "member", "admin"])
def test_no_route_answers_5xx_to_hostile_input(client, ids, who):
    app = client.application
    routes = all_routes(app)
    assert len(routes) >= 70
    examples = max(2, settings.default.max_examples // 8)
    failures = []
    for route in routes:
        @settings(max_examples=examples)
        @given(drawn=requests_for(route.rule))
        def check(drawn):
            path = hostile_path(route.rule, ids, drawn["path"])
            answer = client.open(path, method=route.method, query_string=drawn["query"],
                                 data=drawn["form"] if route.method != "GET" else None,
                                 headers={"HX-Request": "true"} if drawn["htmx"] else {})
            if route.endpoint == "auth.logout" and who != "anonymous":
                log_in(client, who)  # logging out ends the session: come back for the next example
            if answer.status_code >= 500:
                failures.append(f"{route} {path[:200]} {drawn['query']!r:.200} {drawn['form']!r:.300}"
                                f" -> {answer.status_code}")
            assert answer.status_code < 500

        if who != "anonymous":
            log_in(client, who)
        try:
            check()
        except AssertionError:
            pass
    assert not failures, "\n".join(failures)


def test_a_database_that_does_not_answer_is_a_clean_503(database_url, users, tmp_path):
    """Issue 18, point 6: while the database restarts, pages say so (503, Retry-After), not 500."""
    client = make_app(database_url).test_client()
    client.post("/login", data={"email": "admin@example.com", "password": "admin-password-1"})
    gone = make_app(f"sqlite:///{tmp_path / 'no-such-folder' / 'bridge.sqlite'}").test_client()
    gone.set_cookie("session", client.get_cookie("session").value)
    for path, headers in [("/", {}), ("/invoices/1", {}), ("/", {"HX-Request": "true"})]:
        answer = gone.get(path, headers=headers)
        assert answer.status_code == 503, path
        assert b"The database is not answering" in answer.data and answer.headers["Retry-After"] == "5"
        assert "Set-Cookie" not in answer.headers


def test_a_connection_lost_mid_request_is_a_503_too(app, users, client):
    """Found by bench/postgres_restart_bench.py: a request whose connection died went on using
    its session and got PendingRollbackError, a 500, while PostgreSQL restarted."""
    from sqlalchemy.exc import PendingRollbackError

    def lost():
        raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back.")

    app.add_url_rule("/_connection_lost", "connection_lost", lost)
    client.post("/login", data={"email": "admin@example.com", "password": "admin-password-1"})
    answer = client.get("/_connection_lost")
    assert answer.status_code == 503 and b"The database is not answering" in answer.data


def test_every_connection_taken_is_a_503_too(database_url, users, tmp_path):
    """Found by bench/postgres_restart_bench.py (one 500 of 432 during the restart): requests
    waiting for a connection while the others hang on the dead server time out in the pool."""
    app = make_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0,
                                                            "pool_timeout": 0.2, "pool_pre_ping": True})
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.com", "password": "admin-password-1"})
    with app.app_context():
        from bridge.extensions import db

        held = db.engine.connect()  # the only connection, busy elsewhere
        try:
            answer = client.get("/")
        finally:
            held.close()
    assert answer.status_code == 503 and b"The database is not answering" in answer.data
