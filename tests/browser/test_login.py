"""A person logs in and out in a real browser."""
from tests.browser.conftest import log_in
from tests.conftest import ADMIN


def test_wrong_password_then_login_and_logout(page, live_server, users):
    log_in(page, live_server, ADMIN["email"], "not-the-password")
    assert page.locator(".error").inner_text() == "Email or password is incorrect."
    log_in(page, live_server, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".who").inner_text() == ADMIN["name"]
    page.click("text=Log out")
    page.wait_for_url("**/login")
    assert "You are logged out." in page.content()
