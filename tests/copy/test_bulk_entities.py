"""Bulk Copy to Xero of a selection spanning two billing entities (issue 21): split into one job
per entity, each to its own organisation with its own mappings and contacts, the modal says so,
and the selection's progress counts every part. Against the sandbox over real HTTP."""
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Company, XeroCopy, XeroCopyJob
from bridge.xero.bulk import plan as bulk_plan
from bridge.xero.bulk.jobs import progress, run_job
from tests.copy.bulk import LINK, bulk_sleeps  # noqa: F401  (fixture)
from tests.copy.conftest import make_invoice, text
from tests.copy.entities import AU_TENANT, NZ_TENANT, entity_invoice, invoices_in
from tests.copy.test_entities import two_orgs  # noqa: F401  (fixture)


def test_a_selection_of_two_entities_goes_as_one_job_per_organisation(two_orgs, workspace, users, bulk_sleeps):
    nz_invoice = make_invoice(workspace)
    au_invoices = [entity_invoice(workspace, two_orgs) for _ in range(2)]
    ids = [nz_invoice.id, *(i.id for i in au_invoices)]

    first = bulk_plan.select_documents("invoice", ids, user_id=users["admin"].id, link_template=LINK)
    plan = bulk_plan.plan_job(first.id)
    assert plan.selected == 3 and plan.creates == 3 and plan.blocked == []
    assert plan.split == [("My agency", "Demo Company (NZ)", 1), ("Southern Cross Pty", "Demo Company (AU)", 2)]
    assert sorted(plan.new_contacts) == ["Harbour Lights Ltd", "Kookaburra Media"]
    bulk_plan.queue_job(first.id, None)
    jobs = db.session.scalars(select(XeroCopyJob).order_by(XeroCopyJob.id)).all()
    assert [(job.tenant_id, job.invoice_ids, job.state) for job in jobs] == [
        (NZ_TENANT, [nz_invoice.id], "queued"), (AU_TENANT, [i.id for i in au_invoices], "queued")]
    assert jobs[0].selection_key == jobs[1].selection_key is not None

    for job in jobs:
        run_job(job.id)
    done = progress(first.id)
    assert (done.state, done.total, done.done, done.failed) == ("done", 3, 3, 0)
    in_au = invoices_in(AU_TENANT)
    assert sorted(i["InvoiceNumber"] for i in in_au) == ["SC-0001", "SC-0002"]
    # The second entity's mappings (Design is 260 in AU) and its own contact there.
    assert {line["AccountCode"] for i in in_au for line in i["LineItems"]} == {"260", "200"}
    assert {i["Contact"]["Name"] for i in in_au} == {"Kookaburra Media"}
    assert [i["InvoiceNumber"] for i in invoices_in(NZ_TENANT)] == [nz_invoice.number]
    rows = db.session.scalars(select(XeroCopy).order_by(XeroCopy.id)).all()
    assert sorted(row.tenant_id for row in rows) == [AU_TENANT, AU_TENANT, NZ_TENANT]


def test_a_client_linked_in_the_other_organisation_gets_a_contact_in_this_one(two_orgs, workspace, users,
                                                                               bulk_sleeps):
    """A client invoiced by both entities: its contact in NZ is not sent to AU."""
    nz_invoice = make_invoice(workspace)
    job = bulk_plan.select_documents("invoice", [nz_invoice.id], user_id=None, link_template=LINK)
    bulk_plan.queue_job(job.id, None)
    run_job(job.id)
    nz_contact = db.session.get(Company, workspace["client"].id).xero_contact_id
    au_invoice = entity_invoice(workspace, two_orgs, client_name=workspace["client"].name)
    job = bulk_plan.select_documents("invoice", [au_invoice.id], user_id=None, link_template=LINK)
    assert bulk_plan.plan_job(job.id).new_contacts == ["Harbour Lights Ltd"]
    bulk_plan.queue_job(job.id, None)
    assert run_job(job.id).done == 1
    (copied,) = invoices_in(AU_TENANT)
    assert copied["Contact"]["Name"] == "Harbour Lights Ltd" and copied["Contact"]["ContactID"] != nz_contact


def test_the_modal_says_how_the_selection_is_split(two_orgs, admin, workspace):
    ids = [make_invoice(workspace).id, entity_invoice(workspace, two_orgs).id]
    response = admin.post("/invoices/xero/bulk", data={"invoice_ids": ids}, headers={"HX-Request": "true"})
    page = text(response)
    assert response.status_code == 200, page
    assert "2 invoices selected" in page
    assert "These invoices belong to 2 billing entities" in page
    assert "My agency → Demo Company (NZ): 1 invoice" in page
    assert "Southern Cross Pty → Demo Company (AU): 1 invoice" in page


def test_an_entity_not_connected_refuses_the_selection_and_says_which(two_orgs, workspace, users):
    from tests.copy.entities import second_entity
    third = second_entity("Third Studio Ltd")
    orphan = entity_invoice(workspace, third, client_name="Orphan Client")
    try:
        bulk_plan.select_documents("invoice", [make_invoice(workspace).id, orphan.id], user_id=None,
                                   link_template=LINK)
    except bulk_plan.BulkRefused as refused:
        assert "1 of the selected invoices belong to Third Studio Ltd" in refused.message
    else:
        raise AssertionError("a selection with an unconnected entity's invoice must be refused")
    assert db.session.scalar(select(XeroCopyJob)) is None
