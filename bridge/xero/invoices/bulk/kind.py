"""Invoices in a bulk copy: the invoice kind of bridge.xero.bulk (registered when this module
loads). Which invoices can go is sorting.py's; here is what each row sends (the invoice with
the settings' accounts, the mapped tax rate and a Url carrying the attempt key), Xero's batch
calls (PUT and POST /Invoices), how a lost batch is found (by Url), and what follows: the
clients' contacts before the batches, the History & Notes entries and supporting files after.
"""
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select

from bridge.billing.files import Owner
from bridge.extensions import db
from bridge.models import Company, Invoice, XeroCopy
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroValidationError
from bridge.xero.bulk.kinds import BulkKind, register
from bridge.xero.invoices import mapping
from bridge.xero.invoices import options as copy_options
from bridge.xero.invoices.bulk.sorting import sort_invoices
from bridge.xero.invoices.copy import after_copy
from bridge.xero.sending import activity, attachments, documents, payloads
from bridge.xero.sending.attempt import as_text
from bridge.xero.sending.contacts import Contact, foreign_links, link, linked_contact
from bridge.xero.sending.explain import refusal


def _base(run) -> mapping.CopyChoices:
    """The settings' choices every copy of the run shares (made once per run)."""
    if "base" not in run.state:
        run.state["base"] = copy_options.choices(run.ready.settings, contact_id="", tax_type="",
                                                 tax_rate=Decimal("0"), status=run.status)
    return run.state["base"]


def _choices(run, item, contact_id: str, url: str | None) -> mapping.CopyChoices:
    return replace(_base(run), contact_id=contact_id, tax_type=item.tax_type,
                   tax_percent=item.tax_percent, url=url,
                   send_number=copy_options.sends_number(item.invoice, run.ready.settings))


def prepare(run, item, row: XeroCopy) -> str | None:
    """The row's contact, payload (a create's) and History & Notes entry; why it cannot go."""
    invoice = item.invoice
    found = run.state.get("contacts", {}).get(invoice.client_id) or linked_contact(run.tenant_id, invoice.client)
    contact_id = found.id if found else None
    if not contact_id:
        return run.contact_problems.get(invoice.client_id, "The client has no Xero contact.")
    row.xero_contact_id = contact_id
    if item.action == "create":
        url = payloads.attempt_url(run.link_template.format(id=invoice.id), row.attempt_key)
        row.payload = as_text(mapping.invoice_payload(invoice, _choices(run, item, contact_id, url)))
    row.note_text = copy_options.note_for(invoice.id, run.ready.settings)
    return None


def update_payload(run, item, row: XeroCopy, current: dict) -> dict:
    return mapping.update_payload(item.invoice, _choices(run, item, row.xero_contact_id, None), current)


def finish(run, row: XeroCopy, element: dict, operation: str | None) -> None:
    """Bridge's invoice after Xero took it, and the activity log's entry."""
    invoice = db.session.get(Invoice, row.invoice_id)
    notes = after_copy(invoice, row)
    verb = "Copied" if row.action == "create" else "Updated the copy of"
    summary = f"{verb} invoice {invoice.number} as {row.xero_number} ({row.xero_status}) in Xero"
    summary += " (found after an interrupted bulk copy)." if operation == "recover" else " (bulk copy)."
    activity.record("copy" if row.action == "create" else "update", "ok", " ".join([summary, *notes]),
                    tenant_id=row.tenant_id, user_id=row.created_by_id, invoice_id=row.invoice_id,
                    request=row.payload, response=element)


def link_contacts(run) -> None:
    """Give each client still without a Xero contact in this organisation one: Xero's by that
    name, else a new one (a contact linked for another entity's organisation does not count)."""
    left = run.left()
    clients = list(db.session.scalars(select(Company).where(Company.id.in_(
        select(Invoice.client_id).where(Invoice.id.in_(left)))))) if left else []
    foreign = foreign_links(run.tenant_id, [company.xero_contact_id for company in clients])
    companies = [company for company in clients if not company.xero_contact_id or company.xero_contact_id in foreign]
    found_here = run.state.setdefault("contacts", {})
    for company in companies:
        company_id, payload = company.id, payloads.contact_payload(company)
        db.session.commit()  # no transaction stays open while Xero is called
        try:
            found = run.client.find_contact_by_name(payload["Name"])
            created = found is None
            if created:
                found = run.client.create_contact(
                    payload, idempotency_key=f"contact-{run.job_key}-{company_id}")
        except XeroValidationError as error:
            run.contact_problems[company_id] = refusal(error, action="contact").message
            activity.record("contact", "error", f"Xero refused the contact {payload['Name']}: {error}",
                            tenant_id=run.tenant_id, user_id=run.user_id, request=payload,
                            response=error.messages)
            db.session.commit()
            continue
        contact = Contact(str(found["ContactID"]), found.get("Name") or payload["Name"])
        link(company_id, contact)
        found_here[company_id] = contact
        verb = "Created" if created else "Found"
        activity.record("contact", "ok", f"{verb} the Xero contact {found.get('Name')} for a bulk copy.",
                        tenant_id=run.tenant_id, user_id=run.user_id,
                        request=payload if created else None, response=found)
        db.session.commit()


def add_notes_and_files(run) -> None:
    """After every invoice was sent: the History & Notes entries, then the supporting files
    (one call each)."""
    ids = list(db.session.scalars(select(XeroCopy.id).where(
        XeroCopy.job_id == run.job_id, XeroCopy.state == "done",
        XeroCopy.note_text.is_not(None), XeroCopy.note_added_at.is_(None)).order_by(XeroCopy.id)))
    for row_id in ids:
        run.renew()
        documents.add_note(row_id, run.user_id)
    rows = db.session.execute(select(XeroCopy.invoice_id, XeroCopy.xero_id).where(
        XeroCopy.job_id == run.job_id, XeroCopy.state == "done").order_by(XeroCopy.id)).all()
    db.session.commit()
    for invoice_id, xero_id in rows:
        if not attachments.not_uploaded(Owner(invoice_id=invoice_id), run.tenant_id, xero_id):
            continue
        run.renew()
        attachments.upload_files(Owner(invoice_id=invoice_id), run.tenant_id, xero_id, run.user_id)


def new_contacts(items, tenant_id: str) -> list[str]:
    """The clients Bridge finds or creates a contact for in this organisation."""
    clients = {item.invoice.client_id: item.invoice.client for item in items}
    foreign = foreign_links(tenant_id, [client.xero_contact_id for client in clients.values()])
    return sorted(client.name for client in clients.values()
                  if not client.xero_contact_id or client.xero_contact_id in foreign)


def _create(client: XeroClient, invoices: list[dict], key: str) -> list[dict]:
    return client.create_invoices(invoices, summarize_errors=False, idempotency_key=key)


def _save(client: XeroClient, invoices: list[dict], key: str) -> list[dict]:
    return client.save_invoices(invoices, summarize_errors=False, idempotency_key=key)


def _candidates(client: XeroClient, since) -> list[dict]:
    return client.get_invoices(where='Type=="ACCREC"', modified_since=since)


def _url(document: dict | None) -> str | None:
    """A lost invoice is found by its Url (it carries the row's attempt key)."""
    return (document or {}).get("Url")


INVOICES = BulkKind(
    name="invoice", noun="invoice", model=Invoice, column="invoice_id",
    number_field="InvoiceNumber", id_field="InvoiceID",
    sort=sort_invoices, prepare=prepare, update_payload=update_payload,
    create=_create, save=_save, get=lambda client, ids: client.get_invoices(ids=ids),
    candidates=_candidates, match_key=_url, finish=finish,
    activity_ids=lambda row: {"invoice_id": row.invoice_id},
    entities=lambda ids: dict(db.session.execute(select(Invoice.id, Invoice.entity_id).where(Invoice.id.in_(ids))).all()),
    before=link_contacts, after=add_notes_and_files, new_contacts=new_contacts,
    endpoint="invoicing.show", endpoint_arg="invoice_id")
register(INVOICES)
