"""XeroClient's contact operations: search, look up by names, get, create one or many.

A mixin of XeroClient (bridge.xero.api.client), which provides the request helpers it
uses (_api, _get_list, _iter_pages, _elements, _first); kept apart so that each module
stays short.
"""
from typing import Iterable, Iterator

from bridge.xero.api.wire import as_guid, flag

# The names of one GET /Contacts `where` (Name=="A" OR Name=="B" …) go in its URL, which Xero
# caps (about 50 GUIDs of IDs=, some 2,000 characters, XERO_API_NOTES.md §3.7): a look-up of
# many names is split into requests of at most this many characters of `where` (URL-encoded,
# about a third more).
WHERE_MAX_CHARS = 1000


class ContactCalls:
    """GET and PUT /Contacts, for XeroClient."""

    def search_contacts(self, term: str, page: int = 1) -> list[dict]:
        """Contacts whose name, names, number or email contain term (any case); 100 a page."""
        return self._get_list("/Contacts", "Contacts", params={"searchTerm": term, "page": page})

    def find_contact_by_name(self, name: str) -> dict | None:
        """The active contact with exactly this name, else one equal ignoring case, else None."""
        name = name.strip()
        exact = self._get_list("/Contacts", "Contacts", params={"where": name_equals(name)})
        if exact:
            return exact[0]
        # Whether Xero's == ignores case is unconfirmed: fall back to the search, which does.
        return self.find_contact_ignoring_case(name)

    def find_contact_ignoring_case(self, name: str) -> dict | None:
        """The active contact whose name equals this one in any letter case (searchTerm,
        which the spec says is case-insensitive), else None: one call."""
        folded = name.strip().casefold()
        for contact in self.search_contacts(name.strip()):
            if (contact.get("Name") or "").strip().casefold() == folded:
                return contact
        return None

    def find_contacts_by_names(self, names: Iterable[str]) -> list[dict]:
        """The active contacts whose Name is exactly one of names, in one GET per
        WHERE_MAX_CHARS of `where` (so one call for a few dozen names).

        The spec's getContacts takes a free `where` ("Filter by an any element"), and Xero
        joins comparisons with OR (XERO_API_NOTES.md §3.7); the spec's `searchTerm` takes one
        term and `IDs` needs ids, so a `where` of Name=="A" OR Name=="B" … it is. Archived
        contacts are left out (no includeArchived), as Xero lets a new contact take an archived
        one's name. == may be case-sensitive in Xero (unconfirmed): a name found only in
        another letter case is for find_contact_ignoring_case.
        """
        found = []
        for where in names_where(names):
            found += self._iter_pages("/Contacts", "Contacts", {"where": where}, None, None)
        return found

    def get_contact(self, contact_id: str) -> dict:
        """One contact by its ContactID."""
        contacts = self._get_list("/Contacts/{ContactID}", "Contacts",
                                  path_args={"ContactID": as_guid(contact_id)})
        return self._first(contacts, "contact")

    def create_contact(self, payload: dict, idempotency_key: str | None = None) -> dict:
        """Create one contact (PUT: fails on a duplicate name rather than updating one)."""
        response = self._api("PUT", "/Contacts", payload={"Contacts": [payload]},
                             idempotency_key=idempotency_key)
        return self._first(self._elements(response, "Contacts"), "contact")

    def create_contacts(self, payloads: Iterable[dict], summarize_errors: bool = False,
                        idempotency_key: str | None = None) -> list[dict]:
        """Create several contacts in one PUT /Contacts (the spec's createContacts, "bulk").

        With summarize_errors=False Xero answers 200 with one element per contact; if any was
        refused (a name another active contact has, …) this raises XeroValidationError whose
        `elements` are the refused ones (by position) and `succeeded` the created ones.
        """
        payloads = list(payloads)
        if not payloads:
            return []
        response = self._api("PUT", "/Contacts", params={"summarizeErrors": flag(summarize_errors)},
                             payload={"Contacts": payloads}, idempotency_key=idempotency_key)
        return self._elements(response, "Contacts")


def name_equals(name: str) -> str:
    """Name=="…" with the name's quotes and backslashes escaped."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'Name=="{escaped}"'


def names_where(names: Iterable[str], max_chars: int = WHERE_MAX_CHARS) -> Iterator[str]:
    """`where` clauses matching any of the names (stripped, each once), none longer than
    max_chars unless a single name is."""
    clause: list[str] = []
    length = 0
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        term = name_equals(name)
        if clause and length + len(" OR ") + len(term) > max_chars:
            yield " OR ".join(clause)
            clause, length = [], 0
        length += (len(" OR ") if clause else 0) + len(term)
        clause.append(term)
    if clause:
        yield " OR ".join(clause)
