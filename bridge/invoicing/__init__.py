"""Invoices with their lines, the invoice table with its custom fields, the local PDFs,
Copy to Xero, credit notes (and their copies), Send to Xero for budget expenses (bills), and
the files of invoices and expenses."""
from flask import Blueprint

bp = Blueprint("invoicing", __name__)

from bridge.invoicing import (  # noqa: E402,F401
    bill_views, bulk_views, cells, copy_views, credit_note_list, credit_note_views, editor, file_views, pdf,
    recording, routes, void_views,
)
from bridge.invoicing.custom_values import display_value  # noqa: E402
from bridge.invoicing.forms import plain_number  # noqa: E402
from bridge.xero.settings.readiness import xero_status_label  # noqa: E402
from bridge.xero.sending.ending import how_to_end  # noqa: E402
from bridge.xero.sending.ledger import why_totals_differ  # noqa: E402
from bridge.xero.sending.explain import details  # noqa: E402
from bridge.billing.files import readable_size  # noqa: E402
from bridge.invoicing.file_views import document_files  # noqa: E402

bp.add_app_template_filter(display_value, "custom_value")
bp.add_app_template_filter(plain_number, "plain_number")
bp.add_app_template_filter(xero_status_label, "xero_status")
bp.add_app_template_filter(details, "xero_details")
bp.add_app_template_filter(how_to_end, "how_to_end")
bp.add_app_template_filter(why_totals_differ, "why_totals_differ")
bp.add_app_template_filter(readable_size, "file_size")
bp.add_app_template_global(document_files, "document_files")
