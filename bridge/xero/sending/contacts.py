"""Xero contacts: for the copy modal, search them by name and create one from a Bridge client;
for bills, the suppliers' contacts found by name or created, many in two calls; and the one
chosen or found remembered on the company (Company.xero_contact_id).

With several billing entities (one Xero organisation each) the company keeps one link, the
last one used: a linked contact that Bridge's copies show only in other organisations is not
used in this one (foreign_links), so the contact is looked for there by name again.
"""
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import NAMESPACE_URL, uuid5

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Company, XeroCopy
from bridge.xero.sending import activity
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import (
    XeroAuthorisationLost,
    XeroError,
    XeroNotFound,
    XeroRateLimited,
    XeroValidationError,
)
from bridge.xero.sending.explain import Refusal, refusal
from bridge.xero.sending import payloads

# A person picks from a short list; more matches mean "type more of the name".
SEARCH_LIMIT = 20
ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class Contact:
    """A Xero contact as the modal lists it."""

    id: str
    name: str
    email: str | None = None


@dataclass(frozen=True)
class Created:
    """The outcome of creating a contact: the contact, or why Xero refused it."""

    contact: Contact | None = None
    refusal: Refusal | None = None


def search(tenant_id: str, term: str) -> tuple[list[Contact], Refusal | None]:
    """Active Xero contacts whose name (or email, number) contains term; a read, not logged."""
    term = term.strip()
    if len(term) < 2:
        return [], None
    try:
        with XeroClient(tenant_id) as client:
            found = client.search_contacts(term)
    except XeroError as error:
        return [], refusal(error, action="search")
    active = [c for c in found if (c.get("ContactStatus") or ACTIVE) == ACTIVE and c.get("ContactID")]
    return [Contact(str(c["ContactID"]), c.get("Name") or "", c.get("EmailAddress") or None)
            for c in active[:SEARCH_LIMIT]], None


def create_for_client(tenant_id: str, company_id: int, *, name: str, email: str, tax_number: str,
                      attempt_key: str, user_id: int | None, invoice_id: int | None,
                      expense_id: int | None = None) -> Created:
    """Create a Xero contact from the client (with the person's edits) and link it.

    Xero refuses a name another active contact has; its message comes back verbatim.
    The Idempotency-Key is the copy attempt's plus the payload's hash, so a double click
    sends the same request twice and Xero answers the second from its cache.
    """
    company = db.session.get(Company, company_id)
    if company is None:
        raise LookupError(f"No client {company_id}.")
    payload = payloads.contact_payload(company, name=name, email=email, tax_number=tax_number)
    if not payload.get("Name"):
        return Created(refusal=Refusal("bad_input", "Give the new contact a name."))
    digest = hashlib.sha256(activity.as_text(payload).encode()).hexdigest()[:32]
    key = f"contact-{attempt_key}-{digest}"
    db.session.commit()  # no transaction stays open while Xero is called
    try:
        with XeroClient(tenant_id) as client:
            created = client.create_contact(payload, idempotency_key=key)
    except XeroError as error:
        problem = refusal(error, action="contact")
        activity.record("contact", "error", f"Xero refused the contact {payload['Name']}: {error}",
                        tenant_id=tenant_id, user_id=user_id, invoice_id=invoice_id, expense_id=expense_id,
                        request=payload, response=getattr(error, "messages", None) or str(error))
        db.session.commit()
        return Created(refusal=problem)
    contact = Contact(str(created["ContactID"]), created.get("Name") or payload["Name"],
                      created.get("EmailAddress") or None)
    link(company_id, contact)
    activity.record("contact", "ok", f"Created the Xero contact {contact.name} for {company.name}.",
                    tenant_id=tenant_id, user_id=user_id, invoice_id=invoice_id, expense_id=expense_id,
                    request=payload, response=created)
    db.session.commit()
    return Created(contact=contact)


def for_company(tenant_id: str, company_id: int, *, attempt_key: str, user_id: int | None,
                expense_id: int | None = None) -> Created:
    """The company's Xero contact with no one to pick it (a bill's supplier): for_companies for
    one (LookupError when there is no such company)."""
    found = for_companies(tenant_id, {company_id: expense_id}, attempt_key=attempt_key, user_id=user_id)
    if company_id not in found:
        raise LookupError(f"No company {company_id}.")
    return found[company_id]


@dataclass(frozen=True)
class _Wanted:
    """The companies of one name (compared ignoring case) that need a Xero contact."""

    name: str
    company_ids: tuple[int, ...]
    payload: dict


def for_companies(tenant_id: str, companies: Mapping[int, int | None], *, attempt_key: str,
                  user_id: int | None) -> dict[int, Created]:
    """Each company's Xero contact with no one to pick it (the suppliers of bills): the linked
    one; else the active contact with its name, all found in one call; else a new one made from
    the company, all created in one PUT /Contacts. Found and created contacts are linked.

    companies maps each company id to the expense its contact is looked for (the activity log
    names it), or None. Companies of one name (any letter case) share one contact. A company
    that does not exist is left out of the answer.

    Exactly once: every creation comes after a look-up by name, so a contact whose answer was
    lost (the connection broke, the process was killed) is found by its name the next time and
    linked, never created again; within Xero's window the transport's repeats of the PUT carry
    one Idempotency-Key (from attempt_key and the payloads), answered from Xero's cache.
    """
    answers: dict[int, Created] = {}
    groups: dict[str, list[Company]] = {}
    rows = list(db.session.scalars(select(Company).where(Company.id.in_(list(companies))).order_by(Company.id)))
    foreign = foreign_links(tenant_id, [company.xero_contact_id for company in rows])
    for company in rows:
        if company.xero_contact_id and company.xero_contact_id not in foreign:
            answers[company.id] = Created(contact=Contact(
                company.xero_contact_id, company.xero_contact_name or company.name))
        else:
            groups.setdefault(_folded(company.name), []).append(company)
    wanted = {folded: _Wanted(group[0].name.strip(), tuple(c.id for c in group),
                              payloads.contact_payload(group[0]))
              for folded, group in groups.items()}
    if not wanted:
        return answers
    db.session.commit()  # no transaction stays open while Xero is called
    log = _Log(tenant_id, user_id, companies)
    try:
        with XeroClient(tenant_id) as client:
            found = _by_name(client.find_contacts_by_names(w.name for w in wanted.values()), wanted)
            for folded in [f for f in wanted if f in found]:
                answers.update(log.linked(wanted.pop(folded), found[folded]))
            db.session.commit()
            if wanted:
                answers.update(_create(client, list(wanted.values()), attempt_key, log))
    except XeroError as error:
        problem = refusal(error, action="contact")
        for one in wanted.values():
            for company_id in one.company_ids:
                answers.setdefault(company_id, Created(refusal=problem))
    return answers


def _create(client: XeroClient, wanted: list[_Wanted], attempt_key: str, log: "_Log") -> dict[int, Created]:
    """One PUT /Contacts (summarizeErrors=false) for the names Xero does not have; each name's
    companies get its contact or Xero's refusal."""
    bodies = [one.payload for one in wanted]
    digest = hashlib.sha256(activity.as_text(bodies, limit=10**9).encode()).hexdigest()
    key = "contacts-" + str(uuid5(NAMESPACE_URL, f"{attempt_key}:{digest}"))
    answers: dict[int, Created] = {}
    try:
        created = client.create_contacts(bodies, summarize_errors=False, idempotency_key=key)
    except XeroValidationError as error:
        if error.status != 200 or not error.elements:
            # Only a 200 answers per contact; any other status refused the whole request.
            return _each(wanted, log.refused, error)
        refused = {element.position: element for element in error.elements}
        created = error.in_order(len(wanted))
        for position, one in enumerate(wanted):
            if position not in refused:
                continue
            own = XeroValidationError(list(refused[position].messages), status=error.status,
                                      operation=error.operation)
            # Refused, most often because an active contact has this name in another letter
            # case (Xero's == may be case-sensitive) or was made meanwhile: look for it so.
            db.session.commit()
            try:
                other = client.find_contact_ignoring_case(one.name)
            except XeroError:
                other = None
            answers.update(log.linked(one, other) if other else log.refused(one, own))
    except (XeroRateLimited, XeroAuthorisationLost, XeroNotFound) as error:
        return _each(wanted, log.refused, error)
    except XeroError as error:
        # No answer (or one Bridge cannot use): Xero may have created them; the next attempt
        # looks them up by name first.
        return _each(wanted, log.unanswered, error)
    for position, one in enumerate(wanted):
        if not answers.get(one.company_ids[0]):
            answers.update(log.created(one, created[position]))
    db.session.commit()
    return answers


def _each(wanted: list[_Wanted], record, error: XeroError) -> dict[int, Created]:
    """Every name's companies answered by record(one, error), committed."""
    answers = {}
    for one in wanted:
        answers.update(record(one, error))
    db.session.commit()
    return answers


class _Log:
    """Links companies to contacts and records each in the activity log (the caller commits)."""

    def __init__(self, tenant_id: str, user_id: int | None, expenses: Mapping[int, int | None]):
        self.tenant_id, self.user_id, self.expenses = tenant_id, user_id, expenses

    def linked(self, one: _Wanted, found: dict) -> dict[int, Created]:
        contact = _contact(found, one.name)
        for company_id in one.company_ids:
            link(company_id, contact)
            activity.record("contact_lookup", "ok", f"Linked {one.name} to the Xero contact {contact.name} "
                            "with its name.", tenant_id=self.tenant_id, user_id=self.user_id,
                            expense_id=self.expenses.get(company_id), response=found)
        return {company_id: Created(contact=contact) for company_id in one.company_ids}

    def created(self, one: _Wanted, element: dict) -> dict[int, Created]:
        contact = _contact(element, one.name)
        for company_id in one.company_ids:
            link(company_id, contact)
            activity.record("contact", "ok", f"Created the Xero contact {contact.name} for {one.name}.",
                            tenant_id=self.tenant_id, user_id=self.user_id,
                            expense_id=self.expenses.get(company_id), request=one.payload, response=element)
        return {company_id: Created(contact=contact) for company_id in one.company_ids}

    def refused(self, one: _Wanted, error: XeroError) -> dict[int, Created]:
        return self._failed(one, error, f"Xero refused the contact {one.name}: {error}")

    def unanswered(self, one: _Wanted, error: XeroError) -> dict[int, Created]:
        return self._failed(one, error, f"No usable answer from Xero about the new contact {one.name} "
                            f"({error}); it is looked for by its name before it is sent again.")

    def _failed(self, one: _Wanted, error: XeroError, summary: str) -> dict[int, Created]:
        for company_id in one.company_ids:
            activity.record("contact", "error", summary, tenant_id=self.tenant_id, user_id=self.user_id,
                            expense_id=self.expenses.get(company_id), request=one.payload,
                            response=getattr(error, "messages", None) or str(error))
        problem = refusal(error, action="contact")
        return {company_id: Created(refusal=problem) for company_id in one.company_ids}


def _by_name(found: list[dict], wanted: Mapping[str, _Wanted]) -> dict[str, dict]:
    """The active contacts found, by the wanted name they match ignoring case (should Xero's
    == ignore case); one with the name exactly as sent wins."""
    by_name: dict[str, dict] = {}
    for contact in found:
        folded = _folded(contact.get("Name"))
        if folded not in wanted or (contact.get("ContactStatus") or ACTIVE) != ACTIVE \
                or not contact.get("ContactID"):
            continue
        if folded not in by_name or (contact.get("Name") or "").strip() == wanted[folded].name:
            by_name[folded] = contact
    return by_name


def _contact(element: dict, name: str) -> Contact:
    return Contact(str(element["ContactID"]), element.get("Name") or name, element.get("EmailAddress") or None)


def _folded(name: str | None) -> str:
    return (name or "").strip().casefold()


def foreign_links(tenant_id: str | None, contact_ids) -> set[str]:
    """The contacts among these that Bridge's copies show only in other organisations than this
    one (a link made for another billing entity's organisation), in one query."""
    ids = {contact_id for contact_id in contact_ids if contact_id}
    if not ids or tenant_id is None:
        return set()
    seen: dict[str, set[str]] = {}
    for contact_id, tenant in db.session.execute(select(XeroCopy.xero_contact_id, XeroCopy.tenant_id).where(
            XeroCopy.xero_contact_id.in_(ids), XeroCopy.state == "done").distinct()):
        seen.setdefault(contact_id, set()).add(tenant)
    return {contact_id for contact_id, tenants in seen.items() if tenant_id not in tenants}


def linked_contact(tenant_id: str | None, company: Company) -> Contact | None:
    """The company's linked contact, if it may be used in this organisation."""
    if not company.xero_contact_id or company.xero_contact_id in foreign_links(tenant_id, [company.xero_contact_id]):
        return None
    return Contact(company.xero_contact_id, company.xero_contact_name or company.name)


def link(company_id: int, contact: Contact) -> None:
    """Remember a Xero contact on the client, for the next copy (the caller commits)."""
    company = db.session.get(Company, company_id)
    if company is not None:
        company.xero_contact_id, company.xero_contact_name = contact.id, contact.name[:255]
