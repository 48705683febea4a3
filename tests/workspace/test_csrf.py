"""With CSRF on: workspace posts need the token, as a form field or the HTMX header."""
import re


from bridge.extensions import db
from bridge.models import Company, ServiceType
from tests.conftest import header_token
from tests.workspace.conftest import count


def test_htmx_post_needs_the_header(csrf_admin, hx):
    refused = csrf_admin.post("/settings/service-types/new", data={"new-name": "Design"}, headers=hx)
    assert refused.status_code == 400
    assert count(ServiceType) == 0
    token = header_token(csrf_admin, "/settings/service-types")
    accepted = csrf_admin.post(
        "/settings/service-types/new", data={"new-name": "Design"}, headers={**hx, "X-CSRFToken": token}
    )
    assert accepted.status_code == 200
    assert count(ServiceType) == 1


def test_prefixed_form_posts_its_own_token(csrf_admin):
    page = csrf_admin.get("/settings/service-types").get_data(as_text=True)
    token = re.search(r'name="new-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = csrf_admin.post("/settings/service-types/new", data={"new-name": "Design", "new-csrf_token": token})
    assert response.status_code == 302
    assert count(ServiceType) == 1


def test_plain_form_without_token_is_refused(csrf_admin):
    response = csrf_admin.post("/clients/new", data={"name": "Acme", "default_currency": "EUR"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(Company)) is None
