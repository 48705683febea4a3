"""Reading Bridge's HTML as a browser does: the fields a form submits, and what the modal says."""
import re
from html import unescape
from html.parser import HTMLParser


class Form(HTMLParser):
    """The fields a browser would submit with the first form whose action contains `action`."""

    def __init__(self, action: str):
        super().__init__()
        self.wanted, self.inside, self.found = action, False, False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    @classmethod
    def read(cls, html: str, action: str) -> list[tuple[str, str]] | None:
        form = cls(action)
        form.feed(html)
        return form.fields if form.found else None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.found and self.wanted in (a.get("action") or ""):
            self.inside = self.found = True
        elif not self.inside or not a.get("name") and tag != "option":
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            self.fields.append((self._select, chosen[0] if chosen else ""))
            self._select = None
        elif tag == "form" and self.inside:
            self.inside = False


def refusal_text(html: str) -> str:
    found = re.search(r'<p class="refusal">(.*?)</p>', html, re.S)
    if found:
        return unescape(found.group(1)).strip()
    errors = re.findall(r'<small class="error">(.*?)</small>', html, re.S)
    return unescape(errors[0]).strip() if errors else "no message"
