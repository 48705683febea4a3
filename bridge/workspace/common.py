"""What the workspace views share: HTMX-aware responses and saving with a unique name."""
from flask import redirect, render_template, request
from sqlalchemy.exc import IntegrityError

from bridge.extensions import db
from bridge.workspace import bp
from bridge.fields import plain_number


def is_htmx() -> bool:
    """Whether to answer with a fragment: an HTMX request that is not a history restore."""
    # On back/forward with a missed cache, htmx re-requests the URL and needs the whole page.
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


def page_or_partial(page: str, partial: str, status: int = 200, **context):
    """The full page, or only its partial for HTMX requests."""
    return render_template(partial if is_htmx() else page, **context), status


def redirect_to(url: str):
    """Redirect, or tell HTMX to navigate, since it would follow a 3xx inside the swap."""
    if request.headers.get("HX-Request"):
        return "", 204, {"HX-Redirect": url}
    return redirect(url)


def commit_unique(form) -> bool:
    """Commit; if a concurrent request took the name meanwhile, roll back and say so at the field."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.name.errors = [*form.name.errors, form.taken_message(form.name.data)]
        return False
    return True


@bp.context_processor
def template_helpers() -> dict:
    """Helpers for the workspace templates only."""
    return {"plain_number": plain_number}


@bp.after_request
def vary_on_htmx(response):
    """The same URL answers a page or a fragment, so caches must key on HX-Request."""
    response.vary.add("HX-Request")
    return response
