"""Xero's consent screen driven as a browser drives it: GET the page, read its form, tick
organisations by their label, press a button, and read where the redirect goes."""
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

# Registered with the sandbox at run time (xero_sandbox.allow_redirect); never served:
# the test reads the code and state from the redirect's Location.
REDIRECT = "http://127.0.0.1:5000/marketplace/xero/callback"


@dataclass
class Checkbox:
    name: str
    value: str
    checked: bool
    label: str = ""


class ConsentForm(HTMLParser):
    """The first form of a page: its action, hidden fields, checkboxes and submit buttons."""

    def __init__(self):
        super().__init__()
        self.action: str | None = None
        self.hidden: list[tuple[str, str]] = []
        self.checkboxes: list[Checkbox] = []
        self.buttons: list[tuple[str, str]] = []
        self._in_form = False
        self._label: Checkbox | None = None

    @classmethod
    def read(cls, html: str) -> "ConsentForm":
        form = cls()
        form.feed(html)
        return form

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self._in_form, self.action = True, attrs.get("action", "")
        elif not self._in_form:
            return
        elif tag == "input" and attrs.get("type") == "hidden":
            self.hidden.append((attrs["name"], attrs.get("value", "")))
        elif tag == "input" and attrs.get("type") == "checkbox":
            self._label = Checkbox(attrs["name"], attrs.get("value", "on"), "checked" in attrs)
            self.checkboxes.append(self._label)
        elif tag == "button" and attrs.get("type", "submit") == "submit":
            self.buttons.append((attrs.get("name", ""), attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data):
        if self._label is not None:
            self._label.label += data

    def submit(self, browser: requests.Session, page_url: str, *, press: str,
               tick: list[str] | None = None) -> requests.Response:
        """Post the form with the organisations labelled `tick` ticked (else as shown).

        Like a browser: hidden fields, then the ticked boxes, then the pressed button.
        """
        for box in self.checkboxes:
            if tick is not None:
                box.checked = any(box.label.strip().startswith(name) for name in tick)
        data = list(self.hidden) + [(b.name, b.value) for b in self.checkboxes if b.checked]
        data += [(name, value) for name, value in self.buttons if value == press]
        return browser.post(urljoin(page_url, self.action), data=data, allow_redirects=False,
                            timeout=10)


def consent(authorization_url: str, *, press: str = "allow", tick: list[str] | None = None,
            redirect: str = REDIRECT) -> dict:
    """Go through the consent screen; the query Xero redirects to `redirect` with."""
    browser = requests.Session()
    page = browser.get(authorization_url, timeout=10)
    assert page.status_code == 200, page.text
    answer = ConsentForm.read(page.text).submit(browser, page.url, press=press, tick=tick)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(redirect + "?"), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
