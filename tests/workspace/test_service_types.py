"""Service types: the in-place list (HTMX rows) and its whole-page fallback."""
import pytest

from bridge.extensions import db
from bridge.models import ServiceType
from tests.workspace.conftest import count, field_errors, make_service_type


def names() -> list[tuple[str, bool]]:
    return [(s.name, s.archived) for s in db.session.scalars(db.select(ServiceType).order_by(ServiceType.id))]


def test_list_has_the_add_form_first_then_rows_active_before_archived(admin):
    make_service_type("Hosting", archived=True)
    make_service_type("design")
    page = admin.get("/settings/service-types").get_data(as_text=True)
    assert page.index('id="service_type-new"') < page.index("design") < page.index("Hosting")
    assert '<span class="badge badge-archived">Archived</span>' in page
    assert 'hx-post="/settings/service-types/new"' in page


def test_htmx_create_answers_a_blank_form_row_and_the_new_row(admin, hx):
    response = admin.post("/settings/service-types/new", data={"new-name": "  Design "}, headers=hx)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in text
    item = db.session.scalar(db.select(ServiceType))
    assert item.name == "Design" and item.archived is False
    assert text.index('id="service_type-new"') < text.index(f'id="service_type-{item.id}"')
    assert 'name="new-name" required type="text" value=""' in text  # the form row is blank again


def test_plain_create_redirects_to_the_list(admin):
    response = admin.post("/settings/service-types/new", data={"new-name": "Design"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/service-types"
    assert names() == [("Design", False)]


@pytest.mark.parametrize("name, message", [
    ("", "Enter a name."),
    ("   ", "Enter a name."),
    ("DESIGN", "A service type named DESIGN already exists."),
    ("hosting", "A service type named hosting already exists."),  # archived ones count too
    ("x" * 121, "Field cannot be longer than 120 characters."),
])
def test_create_refusals_answer_the_form_row_with_422(admin, hx, name, message):
    make_service_type("Design")
    make_service_type("Hosting", archived=True)
    response = admin.post("/settings/service-types/new", data={"new-name": name}, headers=hx)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(response) == [message]
    assert "<html" not in text
    assert 'id="service_type-new"' in text
    assert count(ServiceType) == 2


def test_create_refusal_without_htmx_renders_the_page_with_422(admin):
    make_service_type("Design")
    response = admin.post("/settings/service-types/new", data={"new-name": "design"})
    assert response.status_code == 422
    assert "<html" in response.get_data(as_text=True)
    assert field_errors(response) == ["A service type named design already exists."]


def test_rename_inline(admin, hx):
    item = make_service_type("Desing")
    form = admin.get(f"/settings/service-types/{item.id}/edit", headers=hx)
    text = form.get_data(as_text=True)
    assert form.status_code == 200 and "<html" not in text
    assert f'id="service_type-{item.id}"' in text and f'name="edit-{item.id}-name"' in text
    assert 'value="Desing"' in text and "Cancel" in text

    saved = admin.post(f"/settings/service-types/{item.id}/edit", data={f"edit-{item.id}-name": "Design"}, headers=hx)
    text = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert f"edit-{item.id}-name" not in text  # back to the display row
    assert "<td>Design</td>" in text
    assert names() == [("Design", False)]


def test_cancel_fetches_the_row_back(admin, hx):
    item = make_service_type("Design")
    response = admin.get(f"/settings/service-types/{item.id}", headers=hx)
    assert response.status_code == 200
    assert "<td>Design</td>" in response.get_data(as_text=True)


def test_rename_to_its_own_name_in_other_case_is_fine(admin, hx):
    item = make_service_type("design")
    response = admin.post(f"/settings/service-types/{item.id}/edit", data={f"edit-{item.id}-name": "Design"}, headers=hx)
    assert response.status_code == 200
    assert names() == [("Design", False)]


def test_rename_to_a_taken_name_is_refused_in_place(admin, hx):
    make_service_type("Design")
    item = make_service_type("Hosting")
    response = admin.post(f"/settings/service-types/{item.id}/edit", data={f"edit-{item.id}-name": "design"}, headers=hx)
    assert response.status_code == 422
    assert field_errors(response) == ["A service type named design already exists."]
    assert f'id="service_type-{item.id}"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert names() == [("Design", False), ("Hosting", False)]


def test_rename_without_htmx_shows_the_page_with_the_row_open(admin):
    item = make_service_type("Design")
    page = admin.get(f"/settings/service-types/{item.id}/edit").get_data(as_text=True)
    assert "<html" in page and f'name="edit-{item.id}-name"' in page
    response = admin.post(f"/settings/service-types/{item.id}/edit", data={f"edit-{item.id}-name": "Graphic design"})
    assert response.status_code == 302
    assert names() == [("Graphic design", False)]


def test_archive_and_unarchive_swap_the_row(admin, hx):
    item = make_service_type("Design")
    archived = admin.post(f"/settings/service-types/{item.id}/archive", headers=hx)
    text = archived.get_data(as_text=True)
    assert archived.status_code == 200 and "<html" not in text
    assert "badge-archived" in text and f"/settings/service-types/{item.id}/unarchive" in text
    assert names() == [("Design", True)]

    restored = admin.post(f"/settings/service-types/{item.id}/unarchive", headers=hx)
    assert "badge-archived" not in restored.get_data(as_text=True)
    db.session.expire_all()
    assert names() == [("Design", False)]


def test_archive_without_htmx_redirects(admin):
    item = make_service_type("Design")
    response = admin.post(f"/settings/service-types/{item.id}/archive")
    assert response.status_code == 302
    assert names() == [("Design", True)]


@pytest.mark.parametrize("method, url", [
    ("get", "/settings/service-types/999"),
    ("get", "/settings/service-types/999/edit"),
    ("post", "/settings/service-types/999/edit"),
    ("post", "/settings/service-types/999/archive"),
    ("post", "/settings/service-types/999/unarchive"),
])
def test_unknown_service_type_is_404(admin, method, url):
    assert getattr(admin, method)(url).status_code == 404


def test_archive_needs_a_post(admin):
    item = make_service_type("Design")
    assert admin.get(f"/settings/service-types/{item.id}/archive").status_code == 405
