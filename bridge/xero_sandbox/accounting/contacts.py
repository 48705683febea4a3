"""Contacts: list and search, get, create (PUT), update-or-create (POST)."""
from flask import g, request

from bridge.xero_sandbox import clock, wire
from bridge.xero_sandbox.accounting import batch, bp, query
from bridge.xero_sandbox.accounting import validation as v
from bridge.xero_sandbox.accounting.serialize import contact_json
from bridge.xero_sandbox.db import Contact, db, new_id

# Sent fields kept as-is so they round-trip (the sandbox does not interpret them).
EXTRA_FIELDS = ("Addresses", "Phones", "ContactPersons", "PaymentTerms", "BankAccountDetails",
                "AccountsReceivableTaxType", "AccountsPayableTaxType", "SalesDefaultAccountCode",
                "PurchasesDefaultAccountCode", "CompanyNumber", "Website")
SIMPLE_FIELDS = {"FirstName": "first_name", "LastName": "last_name", "EmailAddress": "email",
                 "ContactNumber": "contact_number", "AccountNumber": "account_number",
                 "TaxNumber": "tax_number"}
# UNCONFIRMED wording: Xero's message for a contact without a name.
NAME_REQUIRED = "The contact must have a Name."


def contact_view(contact: Contact) -> dict:
    """Fields a `where`/`order` on Contacts may name."""
    return {
        "ContactID": contact.id, "Name": contact.name, "FirstName": contact.first_name,
        "LastName": contact.last_name, "EmailAddress": contact.email,
        "ContactNumber": contact.contact_number, "AccountNumber": contact.account_number,
        "ContactStatus": contact.status, "TaxNumber": contact.tax_number,
        "IsCustomer": contact.is_customer, "IsSupplier": contact.is_supplier,
        "UpdatedDateUTC": contact.updated_utc, "DefaultCurrency": contact.default_currency,
    }


def _find(ident: str) -> Contact | None:
    """A contact of the organisation by ContactID or ContactNumber."""
    select = db.select(Contact).filter_by(org_id=g.org.id)
    if wire.GUID.match(ident):
        return db.session.scalar(select.filter_by(id=ident.lower()))
    return db.session.scalar(select.filter_by(contact_number=ident))


@bp.get("/Contacts")
def list_contacts():
    """Contacts: IDs, searchTerm, where, includeArchived, If-Modified-Since, order, paging."""
    records = list(db.session.scalars(db.select(Contact).filter_by(org_id=g.org.id)))
    wanted = {i.lower() for i in query.id_list("IDs")}
    term = request.args.get("searchTerm", "").strip().lower()
    archived = query.flag("includeArchived")
    records = [
        c for c in records
        if (not wanted or c.id in wanted) and (archived or wanted or c.status != "ARCHIVED")
        and (not term or any(term in (value or "").lower() for value in (
            c.name, c.first_name, c.last_name, c.contact_number, c.email)))
    ]
    records = query.since_filter(records, lambda c: c.updated_utc)
    records = query.where_filter(records, contact_view, "Contact")
    records = query.order(records, contact_view, "Name ASC")
    page, pagination = query.paginate(records)
    summary = query.flag("summaryOnly")
    return wire.ok("Contacts", [contact_json(c, summary) for c in page], pagination)


@bp.get("/Contacts/<ident>")
def get_contact(ident):
    """One contact by ContactID or ContactNumber."""
    contact = _find(ident)
    if contact is None:
        return wire.not_found()
    return wire.ok("Contacts", [contact_json(contact)])


def _name_taken(name: str, own_id: str) -> bool:
    """Whether another active contact has this name (compared without case, UNCONFIRMED)."""
    others = db.session.scalars(db.select(Contact).filter_by(org_id=g.org.id, status="ACTIVE"))
    return any(c.name.strip().lower() == name.strip().lower() and c.id != own_id for c in others)


def _apply(contact: Contact, element: dict) -> list[str]:
    """Copy sent fields onto the contact; return messages."""
    errors = []
    if "Name" in element:
        contact.name = str(element.get("Name") or "").strip()
    for key, attr in SIMPLE_FIELDS.items():
        if key in element:
            setattr(contact, attr, str(element.get(key) or ""))
    if "DefaultCurrency" in element:
        contact.default_currency = element.get("DefaultCurrency") or None
    if element.get("ContactStatus") in ("ACTIVE", "ARCHIVED"):
        contact.status = element["ContactStatus"]
    extra = dict(contact.extra or {})
    extra.update({k: element[k] for k in EXTRA_FIELDS if k in element})
    contact.extra = extra
    if not contact.name:
        errors.append(NAME_REQUIRED)
    elif contact.status == "ACTIVE" and _name_taken(contact.name, contact.id):
        errors.append(v.CONTACT_NAME_TAKEN.format(name=contact.name))
    contact.updated_utc = clock.now()
    return errors


def _save(contact: Contact, element: dict, creating: bool) -> batch.Result:
    """Validate and commit one contact, or answer its echo with messages."""
    with db.session.no_autoflush:
        errors = _apply(contact, element)
    body = contact_json(contact)
    if errors:
        return batch.failed(body, errors, flag="HasValidationErrors")
    if creating:
        db.session.add(contact)
    db.session.commit()
    return batch.Result(contact_json(contact))


def _new_contact() -> Contact:
    """An empty active contact of the current organisation (not yet saved)."""
    return Contact(id=new_id(), org_id=g.org.id, name="", status="ACTIVE", first_name="",
                   last_name="", email="", contact_number="", account_number="", tax_number="",
                   extra={}, is_customer=False, is_supplier=False)


def _create(element: dict) -> batch.Result:
    """PUT: always a new contact (a clashing name is refused)."""
    return _save(_new_contact(), element, creating=True)


def _create_or_update(element: dict) -> batch.Result:
    """POST: update by ContactID, ContactNumber or active Name; otherwise create."""
    contact = None
    if element.get("ContactID"):
        contact = _find(str(element["ContactID"]))
        if contact is None:
            return batch.failed(dict(element), [v.CONTACT_UNIDENTIFIED], flag="HasValidationErrors")
    elif element.get("ContactNumber"):
        contact = _find(str(element["ContactNumber"]))
    elif element.get("Name"):
        contact = db.session.scalar(db.select(Contact).filter_by(
            org_id=g.org.id, name=str(element["Name"]).strip(), status="ACTIVE"))
    if contact is None:
        return _create(element)
    return _save(contact, element, creating=False)


@bp.put("/Contacts")
def create_contacts():
    """Create contacts."""
    return batch.run("Contacts", _create)


@bp.post("/Contacts")
def update_or_create_contacts():
    """Update or create contacts."""
    return batch.run("Contacts", _create_or_update)


@bp.post("/Contacts/<ident>")
def update_contact(ident):
    """Update one contact."""
    if _find(ident) is None:
        return wire.not_found()
    return batch.run("Contacts", lambda e: _save(_find(ident), e, creating=False), allow_bare=True)
