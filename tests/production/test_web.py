"""Production web settings: versioned static URLs cached for a year, and cookie flags."""
import re

from bridge import static_files
from tests.conftest import ADMIN, make_app


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_link_static_files_with_their_content_hash(client, auth):
    auth.login()
    urls = static_urls(client.get("/").get_data(as_text=True))
    assert any(u.startswith("/static/css/bridge.css?v=") for u in urls)
    assert all(re.search(r"\?v=[0-9a-f]{12}$", u) for u in urls), urls


def test_a_versioned_file_is_cached_for_a_year_and_others_revalidate(client):
    current = static_files.file_version(client.application, "css/bridge.css")
    versioned = client.get(f"/static/css/bridge.css?v={current}")
    assert versioned.status_code == 200
    assert versioned.cache_control.max_age == 365 * 24 * 3600
    assert versioned.cache_control.public and versioned.cache_control.immutable
    for url in ("/static/css/bridge.css", "/static/css/bridge.css?v=0123456789ab"):
        answer = client.get(url)
        assert answer.status_code == 200 and not answer.cache_control.immutable
        assert answer.cache_control.max_age in (None, 0)


def test_the_favicon_is_linked_and_served_at_the_address_browsers_ask_for(client, auth):
    answer = client.get("/favicon.ico")  # no login: browsers ask before anyone logs in
    assert answer.status_code == 200 and answer.mimetype == "image/vnd.microsoft.icon"
    assert answer.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    auth.login()
    page = client.get("/").get_data(as_text=True)
    (icon,) = re.findall(r'<link rel="icon" href="(/static/img/favicon.svg\?v=[0-9a-f]{12})"', page)
    assert client.get(icon).mimetype == "image/svg+xml"


def test_the_version_follows_the_content(app, tmp_path):
    app.static_folder = str(tmp_path)
    (tmp_path / "a.js").write_text("one")
    first = static_files.file_version(app, "a.js")
    (tmp_path / "a.js").write_text("two, longer")
    assert static_files.file_version(app, "a.js") not in (None, first)
    assert static_files.file_version(app, "../a.js") is None
    assert static_files.file_version(app, "missing.js") is None


def login_cookie(app) -> str:
    client = app.test_client()
    answer = client.post("/login", data={"email": ADMIN["email"], "password": ADMIN["password"]})
    return answer.headers["Set-Cookie"]


def test_cookies_are_secure_httponly_and_lax_outside_debug_and_tests(database_url, users, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    production = make_app(database_url, TESTING=False, SESSION_COOKIE_SECURE=None,
                          XERO_SCHEDULER_ENABLED=False)
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    cookie = login_cookie(production)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_plain_http_keeps_working_in_tests_debug_or_when_turned_off(database_url, users):
    for app in (make_app(database_url),  # TESTING
                make_app(database_url, TESTING=False, DEBUG=True, SESSION_COOKIE_SECURE=None,
                         XERO_SCHEDULER_ENABLED=False),
                make_app(database_url, TESTING=False, SESSION_COOKIE_SECURE=False,
                         XERO_SCHEDULER_ENABLED=False)):
        cookie = login_cookie(app)
        assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
