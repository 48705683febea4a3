"""In a real browser (CSP and CSRF on): service types are added, renamed and archived in place."""
from bridge.extensions import db
from bridge.models import ServiceType
from tests.browser.conftest import log_in
from tests.conftest import ADMIN


def test_service_types_in_place(page, live_server, users):
    log_in(page, live_server, ADMIN["email"], ADMIN["password"])
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/settings/service-types")

    page.fill("#new-name", "Desing")
    page.click("text=Add service type")
    row = page.locator("tbody tr", has_text="Desing")
    row.wait_for()
    assert page.input_value("#new-name") == ""

    page.fill("#new-name", "desing")
    page.click("text=Add service type")
    page.locator(".error", has_text="A service type named desing already exists.").wait_for()

    row.locator("text=Rename").click()
    edit_input = page.locator("input[name$='-name']").nth(1)
    edit_input.fill("Design")
    page.click("text=Save")
    page.locator("tbody td", has_text="Design").wait_for()

    page.locator("tbody tr", has_text="Design").locator("text=Archive").click()
    page.locator(".badge-archived").wait_for()
    assert page.url == live_server.url + "/settings/service-types"  # all in place, no navigation
    db.session.expire_all()
    assert [(s.name, s.archived) for s in db.session.scalars(db.select(ServiceType))] == [("Design", True)]
