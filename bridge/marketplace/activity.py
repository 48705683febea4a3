"""Settings > App Marketplace > Xero > Activity: every Xero operation Bridge performed, newest
first, filterable by outcome, paginated (admins only, like the whole marketplace)."""
from flask import request
from wtforms import Form, SelectField

from bridge.auth.roles import admin_required
from bridge.bounds import page_number
from bridge.invoicing.forms import InChoices, options
from bridge.invoicing.responses import page_or_partial
from bridge.marketplace import bp
from bridge.xero.sending import activity

PER_PAGE = 25


class ActivityFilterForm(Form):
    """The log's filter, read from the query string (GET: no CSRF)."""

    outcome = SelectField("Outcome", choices=options([("ok", "OK"), ("error", "Error")], "All"),
                          default="", validate_choice=False,
                          validators=[InChoices("Choose an outcome from the list.")])


@bp.get("/settings/marketplace/xero/activity")
@admin_required
def xero_activity():
    """The Xero activity log; HTMX gets the table alone when the filter or the page changes."""
    form = ActivityFilterForm(request.args)
    valid = form.validate()
    outcome = form.outcome.data if valid else None
    pagination = activity.page(outcome or None, page_number(), PER_PAGE)
    return page_or_partial("marketplace/activity.html", "marketplace/_activity_table.html",
                           200 if valid else 422, form=form, pagination=pagination,
                           outcome=outcome or "", label=activity.label)
