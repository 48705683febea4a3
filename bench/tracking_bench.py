"""Tracking categories and branding themes: Xero calls per copy with tracking and a theme, per
bulk copy of 1,000 tracked invoices, and per opening of the copy modal.

Bridge is an app on a fresh SQLite database (bench/copy_bench.py's setup) against the sandbox on
a free port (limits relaxed), reference data cached (tracking categories and themes included).
Region follows the invoice custom field Office (a select: Auckland -> North, Wellington ->
South) and Department the line's service type (Design -> Design); the settings' theme is
Agency. The figures are read from the client's call counter; the sandbox's answer is checked
(lines carry their options, the invoice its theme, Xero's PDF names the theme).

Targets: a copy with tracking and a theme stays 1 call (2 with a note); a bulk copy of 1,000
invoices with tracking stays 20 calls; opening the copy modal stays 0 calls.

    .venv/bin/python bench/tracking_bench.py [--copies 20] [--invoices 1000] [--opens 50]
"""
import argparse
import re
import statistics
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.copy_bench import connected_bench, EMAIL, PASSWORD, calls, configure, copy, new_invoice, seed  # noqa: E402
from bridge.extensions import db  # noqa: E402
from bridge.models import CustomField, CustomFieldValue, XeroBrandingTheme, XeroTrackingCategory, XeroTrackingOption  # noqa: E402
from bridge.xero.api.client import XeroClient  # noqa: E402
from bridge.xero.invoices.bulk import plan as bulk_plan  # noqa: E402
from bridge.xero.invoices.bulk.jobs import run_job  # noqa: E402
from bridge.xero.settings.tracking import TrackingChoice  # noqa: E402
from bridge.xero_sandbox.seed import NZ_TENANT  # noqa: E402

OFFICES = ("Auckland", "Wellington")


def _id(model, column, **where):
    return db.session.scalar(db.select(column).filter_by(tenant_id=NZ_TENANT, **where))


def tracked(ids: dict, **answers) -> None:
    """The settings of copy_bench, with both categories mapped and the Agency theme."""
    region = _id(XeroTrackingCategory, XeroTrackingCategory.category_id, name="Region")
    department = _id(XeroTrackingCategory, XeroTrackingCategory.category_id, name="Department")

    def option(category, name):
        return _id(XeroTrackingOption, XeroTrackingOption.option_id, category_id=category, name=name)

    choices = [TrackingChoice(region, "Region", "custom_field", ids["office"],
                              {"Auckland": option(region, "North"), "Wellington": option(region, "South")}),
               TrackingChoice(department, "Department", "service_type", None,
                              {str(ids["design"]): option(department, "Design")})]
    theme = _id(XeroBrandingTheme, XeroBrandingTheme.theme_id, name="Agency")
    configure(ids, tracking=choices, branding_theme_id=theme, **answers)


def office_invoice(ids: dict, n: int, note: str | None = None) -> int:
    invoice_id = new_invoice(ids, note=note)
    db.session.add(CustomFieldValue(invoice_id=invoice_id, field_id=ids["office"], value=OFFICES[n % 2]))
    db.session.commit()
    return invoice_id


def per_operation(label: str, n: int, action) -> None:
    before, started = calls(), time.perf_counter()
    for i in range(n):
        action(i)
    elapsed = (time.perf_counter() - started) * 1000 / n
    print(f"{label:<62} {(calls() - before) / n:5.2f} calls  {elapsed:7.1f} ms each")


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF's content streams (the sandbox's PDFs, compressed or not)."""
    found = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            stream = zlib.decompress(stream)
        except zlib.error:
            pass
        found += re.findall(rb"\(((?:[^()\\]|\\.)*)\)", stream)
    return " ".join(part.decode("latin-1") for part in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--opens", type=int, default=50)
    args = parser.parse_args()
    with connected_bench() as (app, ids):
        office = CustomField(name="Office", field_type="select", options_text="\n".join(OFFICES))
        db.session.add(office)
        db.session.commit()
        ids["office"] = office.id
        tracked(ids)
        n = args.copies
        copied = []
        per_operation("copy with tracking and a theme: contact known, no note", n,
                      lambda i: copied.append(office_invoice(ids, i)) or copy(ids, copied[-1]))
        tracked(ids, notes_custom_field_id=ids["note"])
        per_operation("copy with tracking and a theme: with a note", n,
                      lambda i: copy(ids, office_invoice(ids, i, note=f"Cost centre {i}")))
        tracked(ids)

        browser = app.test_client()
        browser.post("/login", data={"email": EMAIL, "password": PASSWORD})
        hx = {"HX-Request": "true"}
        browser.get(f"/invoices/{copied[0]}/xero/copy", headers=hx)  # warm up
        before, samples = calls(), []
        for i in range(args.opens):
            started = time.perf_counter()
            page = browser.get(f"/invoices/{copied[i % n]}/xero/copy", headers=hx)
            samples.append((time.perf_counter() - started) * 1000)
            if page.status_code != 200 or "Region: North" not in page.get_data(as_text=True) \
                    and "Region: South" not in page.get_data(as_text=True):
                raise SystemExit(f"the modal does not preview the tracking (HTTP {page.status_code})")
        print(f"{'open the copy modal (tracking previewed, themes offered)':<62} "
              f"{(calls() - before) / args.opens:5.2f} calls  median {statistics.median(samples):5.1f} ms")

        bulk_ids = [office_invoice(ids, i) for i in range(args.invoices)]
        job = bulk_plan.select_invoices(bulk_ids, user_id=ids["user"], link_template="http://bench.test/invoices/{id}")
        bulk_plan.queue_job(job.id, None)
        before, started = calls(), time.perf_counter()
        progress = run_job(job.id)
        wall = time.perf_counter() - started
        print(f"bulk copy of {args.invoices:,} five-line invoices with tracking and the theme: "
              f"{calls() - before} calls, {progress.done} copied, {progress.failed} not, {wall:.1f} s")

        with XeroClient(NZ_TENANT) as client:
            made = [i for i in client.get_invoices(where='Type=="ACCREC"')
                    if "xero_copy=" in (i.get("Url") or "")]
            themes = {t["BrandingThemeID"]: t["Name"] for t in client.get_branding_themes()}
            pdf = client.get_invoice_pdf(made[0]["InvoiceID"])
        tracked_lines = sum(1 for i in made for line in i["LineItems"] if line.get("Tracking"))
        both = sum(1 for i in made for line in i["LineItems"] if len(line.get("Tracking") or []) == 2)
        print(f"check: {len(made)} invoices in the sandbox, {tracked_lines} lines tracked ({both} with both "
              f"categories), themes {sorted({themes.get(i.get('BrandingThemeID')) for i in made})}, "
              f"Xero's PDF names the theme: {'Agency' in pdf_text(pdf)}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
