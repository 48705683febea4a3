"""Xero contacts for the copy modal: search them by name, create one from a Bridge client,
and remember the one chosen on the client (Company.xero_contact_id)."""
import hashlib
from dataclasses import dataclass

from bridge.extensions import db
from bridge.models import Company
from bridge.xero.sending import activity
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroError
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
    """The company's Xero contact with no one to pick it (a bill's supplier): the linked one,
    else the active contact with its name (then linked), else a new one from the company."""
    company = db.session.get(Company, company_id)
    if company is None:
        raise LookupError(f"No company {company_id}.")
    if company.xero_contact_id:
        return Created(contact=Contact(company.xero_contact_id, company.xero_contact_name or company.name))
    name = company.name
    db.session.commit()  # no transaction stays open while Xero is called
    try:
        with XeroClient(tenant_id) as client:
            found = client.find_contact_by_name(name)
    except XeroError as error:
        return Created(refusal=refusal(error, action="contact"))
    if found is None or (found.get("ContactStatus") or ACTIVE) != ACTIVE:
        return create_for_client(tenant_id, company_id, name=name, email=company.email or "",
                                 tax_number=company.tax_number or "", attempt_key=attempt_key,
                                 user_id=user_id, invoice_id=None, expense_id=expense_id)
    contact = Contact(str(found["ContactID"]), found.get("Name") or name, found.get("EmailAddress") or None)
    link(company_id, contact)
    activity.record("contact_lookup", "ok", f"Linked {name} to the Xero contact {contact.name} "
                    "with its name.", tenant_id=tenant_id, user_id=user_id, expense_id=expense_id,
                    response=found)
    db.session.commit()
    return Created(contact=contact)


def link(company_id: int, contact: Contact) -> None:
    """Remember a Xero contact on the client, for the next copy (the caller commits)."""
    company = db.session.get(Company, company_id)
    if company is not None:
        company.xero_contact_id, company.xero_contact_name = contact.id, contact.name[:255]
