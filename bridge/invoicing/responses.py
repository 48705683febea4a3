"""How invoicing views answer plain and HTMX requests alike."""
from flask import redirect, render_template, request


def is_htmx() -> bool:
    """An HTMX request that wants a fragment (a history restore wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


def page_or_partial(page: str, partial: str, status: int = 200, **context):
    """The full page, or only its partial for HTMX; Vary keeps caches from mixing the two."""
    template = partial if is_htmx() else page
    return render_template(template, **context), status, {"Vary": "HX-Request"}


def go_to(url: str):
    """Redirect; HTMX gets HX-Redirect because it will not follow a 3xx into a new page."""
    if request.headers.get("HX-Request"):
        return "", 200, {"HX-Redirect": url}
    return redirect(url)
