"""Every page, as a person sees it at 1280x800 and at 390x844 (a phone), on the demo workspace
connected to the Xero sandbox and set up, with an invoice copied, an expense sent as a bill, a
payment sync run and a bulk copy planned, so the Xero sections show.

The pages come from the app's URL map: every GET rule, its <int:...> arguments filled with real
ids; only downloads, redirects and HTMX partials are skipped, each named in SKIPPED with why. A
page fails on horizontal scrolling of the page itself, on any console error, on any answer of
400 or more (the page, its assets, what HTMX loads), and (at 1280 px) on a number, an amount or
a date that wraps. Full-page screenshots go to BRIDGE_SCREENSHOTS, or a temporary folder; the
folder is printed.
"""
import datetime as dt
import io
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from flask import url_for
from playwright.sync_api import expect
from sqlalchemy import select

from bridge.billing.credit_notes import CreditNoteData, create_credit_note
from bridge.demo import ADMIN_EMAIL, seed_demo
from bridge.extensions import db
from bridge.models import Budget, CustomField, Expense, Invoice, ServiceType, TaxRate, XeroCopyJob
from bridge.xero.api.client import XeroClient
from bridge.xero.api.ratelimit import CALLS, SHARED_BUDGET
from bridge.xero.invoices.bulk import plan as bulk_plan
from bridge.xero.settings import reference, setup
from bridge.xero_sandbox.seed import SUGGESTED_TENANT
from tests.conftest import empty_all_tables, make_app
from tests.live import SANDBOX_CLIENT, LiveServer, Sandbox
from tests.marketplace.conftest import AU, CALLBACK, NZ, Xero

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# GET endpoints that are not pages a person opens, and why. Anything else in the URL map is visited.
SKIPPED = {
    "static": "assets: checked as each page loads them",
    "auth.login": "a redirect once logged in: test_login_page opens it logged out",
    "favicon": "the icon browsers ask for by themselves: checked as each page loads",
    "health.healthz": "JSON for monitoring, not a page",
    "invoicing.pdf": "a download (the invoice's PDF)",
    "invoicing.credit_note_download": "a download (the credit note's PDF)",
    "workspace.settings_entity_logo": "a download (a billing entity's logo)",
    "workspace.settings_organisation_logo": "a redirect to the first billing entity's logo (its old address)",
    "workspace.settings_organisation": "a redirect to the billing entities (Settings > Organisation's old address)",
    "workspace.settings_invoices": "a redirect to the billing entities (invoice numbering's old address)",
    "marketplace.xero_connect": "a redirect to Xero's consent screen",
    "marketplace.xero_callback": "a redirect: Xero's answer to the consent",
    "workspace.settings_invoice_number_example": "an HTMX partial (the example number); a redirect without HTMX",
    "workspace.settings_custom_field_row": "an HTMX partial (one row); a redirect without HTMX",
    "workspace.settings_service_type_row": "an HTMX partial (one row); a redirect without HTMX",
    "workspace.settings_tax_rate_row": "an HTMX partial (one row); a redirect without HTMX",
    "invoicing.custom_cell": "an HTMX partial (one cell of the invoice table)",
    "invoicing.edit_custom_cell": "an HTMX partial (one cell of the invoice table, as a form)",
    "invoicing.contact_search": "an HTMX partial (the copy modal's contact results)",
    "invoicing.copy_preview": "an HTMX partial (the copy modal's preview)",
    "invoicing.copy_state": "an HTMX partial (the invoice page's Xero box)",
    "invoicing.bill_state": "an HTMX partial (the expense page's Xero box)",
    "invoicing.file_download": "a download (an invoice's supporting file, an expense's receipt)",
}
# Pages the URL map holds once but a person sees in another state too.
EXTRA = [("invoicing.copy_modal", {"action": "update"})]

# Finds what wraps: a number, an amount or a date (by its cell's class, or by its look) inside a
# table cell or a fact must sit on one line.
WRAPPED = r"""() => {
  const NUMBER = /^[^\s\d]{0,4}\s?[-+]?\d[\d.,:\/\-\s']*%?$/;
  const DATE = /^[A-Z][a-z]{2} \d{1,2}, \d{4}(, \d{1,2}:\d{2}\s?[AP]M UTC)?$/;
  const out = [];
  for (const cell of document.querySelectorAll('td, th, dd, .nowrap, time')) {
    if (!cell.offsetParent) continue;
    const marked = cell.matches('.num, .date, .nowrap, time');
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      if (!text || !(marked || NUMBER.test(text) || DATE.test(text))) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top / 4)));
      if (tops.size > 1) out.push(text);
    }
  }
  return [...new Set(out)].slice(0, 5);
}"""
OVERFLOW = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@dataclass
class Site:
    """Bridge on a real port over the demo workspace, and the ids a page URL may need."""

    url: str
    app: object
    password: str
    ids: dict = field(default_factory=dict)


def _sandbox_app(path: Path):
    from bridge.xero_sandbox import create_app

    return create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SANDBOX_CONTROL_ENABLED": True,
        "SANDBOX_CLIENTS": {SANDBOX_CLIENT["id"]: {
            "name": "Bridge (tests)", "secret": SANDBOX_CLIENT["secret"], "redirect_uris": []}},
    })


def _first(model, *where):
    return db.session.scalar(select(model).where(*where).order_by(model.id).limit(1))


def _prepare(client, sandbox, password: str) -> dict:
    """As the admin would: connect, set up (payments and expenses on), copy an invoice, send an
    expense as a bill, sync payments, plan a bulk copy; then a consent waiting for a choice."""
    assert client.post("/login", data={"email": ADMIN_EMAIL, "password": password}).status_code == 302
    xero = Xero(client, sandbox)
    assert xero.connect(tick=None).status_code == 302
    reference.refresh(SUGGESTED_TENANT)
    answers = setup.load()
    answers.default_revenue_account_code = "200"
    answers.sync_payments = True
    answers.export_expenses, answers.default_expense_account_code, answers.expense_tax_type = True, "429", "INPUT2"
    answers.notes_custom_field_id = _first(CustomField, CustomField.name.like("Private note%")).id
    admin_id = db.session.scalar(select(Invoice.created_by_id).limit(1))
    setup.save(answers, admin_id)

    invoice = _first(Invoice, Invoice.status == "sent", Invoice.currency == "NZD")
    with XeroClient(SUGGESTED_TENANT) as xero_client:
        contact = xero_client.find_contact_by_name(invoice.client.name)
    assert contact, f"{invoice.client.name} is not a contact in the sandbox's demo organisation"
    # A supporting file (shown with the online invoice) and a receipt, uploaded with the copy and the bill.
    expense = _first(Expense, Expense.currency == "NZD")
    for kind, document_id, name in (("invoices", invoice.id, "Timesheet March.pdf"), ("expenses", expense.id, "receipt.png")):
        content = PDF if name.endswith(".pdf") else PNG
        added = client.post(f"/{kind}/{document_id}/files", content_type="multipart/form-data",
                            data={"file": (io.BytesIO(content), name), "include_online": "y"})
        assert added.status_code == 302, added.get_data(as_text=True)
    copied = client.post(f"/invoices/{invoice.id}/xero/copy", headers={"HX-Request": "true"}, data={
        "attempt_key": str(uuid4()), "action": "create", "tax_type": "OUTPUT2",
        "contact": f"{contact['ContactID']}|{contact['Name']}"})
    assert "copied to Xero" in copied.get_data(as_text=True), copied.get_data(as_text=True)

    # A credit note of an invoice the client still owes on.
    owed = _first(Invoice, Invoice.payment_status == "unpaid")
    note = create_credit_note(CreditNoteData(owed.id, "amount", "Goodwill for a late delivery", owed.currency,
                                             max(owed.issue_date, dt.date.today()), amount=Decimal("10.00")))

    sent = client.post(f"/expenses/{expense.id}/xero", headers={"HX-Request": "true"},
                       data={"attempt_key": str(uuid4()), "action": "create"})
    assert sent.status_code == 200, sent.get_data(as_text=True)
    assert client.post("/marketplace/xero/sync", headers={"HX-Request": "true"}).status_code == 200

    others = list(db.session.scalars(select(Invoice.id).where(Invoice.id != invoice.id).limit(3)))
    job = bulk_plan.select_invoices(others, user_id=admin_id, link_template="http://bridge.test/invoices/{id}")

    # Last: a second consent granting two organisations waits for the admin's choice.
    chosen = client.get(xero.consent(tick=(NZ, AU)))
    pending_id = urlsplit(chosen.headers["Location"]).path.rsplit("/", 1)[-1]
    db.session.expire_all()
    return {
        "invoice_id": invoice.id, "expense_id": expense.id, "budget_id": expense.budget_id,
        "company_id": invoice.client_id, "job_id": job.id, "pending_id": pending_id,
        "field_id": answers.notes_custom_field_id, "note_id": note.id,
        # The pages of one billing entity: the first, whose organisation the demo connects.
        "entity_id": db.session.scalar(select(Invoice.entity_id).where(Invoice.id == invoice.id)),
        ("/invoices/<int:document_id>/files", "document_id"): invoice.id,
        ("/expenses/<int:document_id>/files", "document_id"): expense.id,
        ("workspace.settings_custom_field_edit", "item_id"): answers.notes_custom_field_id,
        ("workspace.settings_service_type_edit", "item_id"): _first(ServiceType).id,
        ("workspace.settings_tax_rate_edit", "item_id"): _first(TaxRate).id,
    }


@pytest.fixture(scope="module")
def site(database_url, sandbox_seed, tmp_path_factory):
    """The demo workspace set up as above, served with CSRF on; the tables are emptied after."""
    SHARED_BUDGET.reset()
    CALLS.reset()
    path = tmp_path_factory.mktemp("every-page") / "sandbox.sqlite"
    shutil.copyfile(sandbox_seed, path)
    with Sandbox(_sandbox_app(path)) as sandbox:
        sandbox.allow_redirect(CALLBACK)
        app = make_app(database_url, **sandbox.bridge_config())
        with app.app_context():
            password = seed_demo()
            ids = _prepare(app.test_client(), sandbox, password)
            assert db.session.scalar(select(XeroCopyJob.id)) == ids["job_id"]
        served = make_app(database_url, WTF_CSRF_ENABLED=True, **sandbox.bridge_config())
        try:
            with LiveServer(served) as server:
                yield Site(server.url, served, password, ids)
        finally:
            with app.app_context():
                empty_all_tables()
                db.session.remove()
                db.engine.dispose()


def page_urls(app, ids: dict) -> list[tuple[str, str]]:
    """(name, path) of every page in the URL map, with real ids; fails on an unknown argument.
    The name is the endpoint's (and the extra arguments of a page in EXTRA)."""
    with app.test_request_context():
        pages = []
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.endpoint in SKIPPED:
                continue
            values = {}
            for name in rule.arguments:
                value = (rule.defaults or {}).get(name) or ids.get((rule.rule, name), ids.get((rule.endpoint, name), ids.get(name)))
                assert value is not None, (
                    f"{rule.rule} ({rule.endpoint}) needs a value for <{name}>: add it to the ids "
                    "_prepare returns, or to SKIPPED with the reason")
                values[name] = value
            pages.append((rule.endpoint, url_for(rule.endpoint, **values)))
        for endpoint, args in EXTRA:
            name = "-".join([endpoint, *(f"{key}-{value}" for key, value in args.items())])
            pages.append((name, url_for(endpoint, **{**_args(app, endpoint, ids), **args})))
    return pages


def _args(app, endpoint: str, ids: dict) -> dict:
    (rule,) = app.url_map.iter_rules(endpoint)
    return {name: ids.get((endpoint, name), ids.get(name)) for name in rule.arguments}


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("BRIDGE_SCREENSHOTS") or tempfile.mkdtemp(prefix="bridge-pages-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def tab(browser, site):
    """One browser tab for every page; what goes wrong on it is collected per visit."""
    context = browser.new_context(viewport=SIZES["desktop"])
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.seen, tab.busy = [], set()
    tab.on("request", lambda r: tab.busy.add(r))
    tab.on("requestfinished", lambda r: tab.busy.discard(r))
    tab.on("requestfailed", lambda r: tab.busy.discard(r))
    tab.on("console", lambda m: m.type == "error" and tab.seen.append(f"console error: {m.text}"))
    tab.on("pageerror", lambda e: tab.seen.append(f"script error: {e}"))
    tab.on("response", lambda r: r.status >= 400 and tab.seen.append(f"HTTP {r.status} for {r.url}"))
    tab.on("requestfailed", lambda r: tab.seen.append(f"request failed: {r.url} ({r.failure})"))
    yield tab
    context.close()


def visit(tab, url: str, size: str, shot: Path) -> list[str]:
    """Open a page and say what is wrong with it."""
    tab.seen.clear()
    answer = tab.goto(url, wait_until="load")
    settle(tab)
    problems = list(tab.seen)
    if answer is None or answer.status >= 400:
        problems.append(f"the page answered {answer and answer.status}")
    if tab.url != url:
        problems.append(f"went on to {tab.url} (a redirect belongs in SKIPPED, with why)")
    width, visible = tab.evaluate(OVERFLOW)
    if width > visible:
        problems.append(f"the page scrolls sideways: {width}px wide in {visible}px")
    if size == "desktop":
        problems += [f"wraps: {text!r}" for text in tab.evaluate(WRAPPED)]
    tab.screenshot(path=str(shot), full_page=True)
    return problems


def settle(tab, seconds: float = 5.0) -> None:
    """Wait until what the page loads by itself (HTMX on load) has arrived (networkidle waits
    half a second more on every page)."""
    deadline = time.monotonic() + seconds
    while tab.busy and time.monotonic() < deadline:
        tab.wait_for_timeout(25)


def log_in_once(tab, site) -> None:
    if tab.url.startswith(site.url) and "/login" not in tab.url:
        return
    tab.goto(site.url + "/login")
    tab.fill("input[name=email]", ADMIN_EMAIL)
    tab.fill("input[name=password]", site.password)
    tab.click("button[type=submit]")
    tab.wait_for_url(site.url + "/")


def test_skipped_endpoints_exist(site):
    """A skip names a real endpoint (a renamed one would be visited under its new name)."""
    assert set(SKIPPED) <= {rule.endpoint for rule in site.app.url_map.iter_rules()}


@pytest.mark.parametrize("size", list(SIZES))
def test_login_page(tab, site, shots, size):
    tab.context.clear_cookies()
    tab.set_viewport_size(SIZES[size])
    assert visit(tab, site.url + "/login", size, shots / f"{size}-login.png") == []


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page(tab, site, shots, size, capsys):
    tab.set_viewport_size(SIZES[size])
    log_in_once(tab, site)
    pages = page_urls(site.app, site.ids)
    problems = {}
    for name, path in pages:
        found = visit(tab, site.url + path, size, shots / f"{size}-{name}.png")
        if found:
            problems[f"{path} ({name})"] = found
    with capsys.disabled():
        print(f"\n{len(pages)} pages at {size} size; screenshots in {shots}")
    assert problems == {}, "\n".join(f"{page}: {'; '.join(found)}" for page, found in problems.items())


@pytest.mark.parametrize("size", list(SIZES))
def test_the_copy_modal_keeps_its_actions_in_view(tab, site, shots, size):
    """Create new on a copied invoice: a long modal whose body scrolls under a footer that stays."""
    tab.set_viewport_size(SIZES[size])
    log_in_once(tab, site)
    tab.goto(f"{site.url}/invoices/{site.ids['invoice_id']}")
    tab.hover("#xero-copy-state .copied-button")
    tab.click(".copy-menu-items >> text=Create new")
    body = tab.locator("#modal .copy-modal")
    submit = body.locator("footer button[type=submit]")
    expect(submit).to_be_visible()
    assert body.evaluate("b => b.scrollHeight > b.clientHeight"), "the modal does not scroll: nothing proven"
    for where in ("top", "middle"):
        if where == "middle":
            body.evaluate("b => b.scrollTo(0, b.scrollHeight / 2)")
        box, view = submit.bounding_box(), SIZES[size]
        assert 0 <= box["y"] and box["y"] + box["height"] <= view["height"], (where, box)
        assert tab.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('footer') !== null",
                            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]), where
    tab.screenshot(path=str(shots / f"{size}-copy-modal-scrolled.png"))
    tab.locator("#modal footer button:has-text('Cancel')").click()
    expect(tab.locator("#modal")).to_be_hidden()


def test_the_navigation_collapses_into_a_menu_on_a_phone(tab, site, shots):
    tab.set_viewport_size(SIZES["desktop"])
    log_in_once(tab, site)
    tab.goto(site.url + "/")
    expect(tab.locator(".menu-button")).to_be_hidden()
    expect(tab.locator(".mainnav >> text=Budgets")).to_be_visible()
    tab.set_viewport_size(SIZES["phone"])
    expect(tab.locator(".mainnav >> text=Budgets")).to_be_hidden()
    expect(tab.locator("text=Log out")).to_be_hidden()
    tab.click(".menu-button")
    expect(tab.locator(".mainnav >> text=Budgets")).to_be_visible()
    expect(tab.locator("text=Log out")).to_be_visible()
    tab.screenshot(path=str(shots / "phone-menu-open.png"))
    tab.click(".mainnav >> text=Budgets")
    tab.wait_for_url(site.url + "/budgets")
    expect(tab.locator(".mainnav >> text=Budgets")).to_be_hidden()  # closed on the next page


def test_the_xero_setup_errors_lead_to_their_fields(tab, site, shots):
    """A refused save: the summary at the top gets the focus; each link moves it to its field."""
    tab.set_viewport_size(SIZES["desktop"])
    log_in_once(tab, site)
    tab.goto(site.url + "/marketplace/xero/setup")
    tab.select_option("#default_revenue_account_code", "")
    tab.select_option("#default_expense_account_code", "")
    tab.click("#setup-actions button[type=submit]")
    summary = tab.locator("#error-summary")
    expect(summary).to_be_focused()
    links = summary.locator("a")
    expect(links).to_have_text(["Default revenue account: Choose the default revenue account.",
                                "Default expense account: Choose the default expense account, or turn "
                                "exporting expenses off."])
    tab.screenshot(path=str(shots / "desktop-setup-errors.png"))
    for index, field in enumerate(["#default_revenue_account_code", "#default_expense_account_code"]):
        links.nth(index).click()
        expect(tab.locator(field)).to_be_focused()
        expect(tab.locator(field)).to_be_in_viewport()
