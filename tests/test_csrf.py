"""CSRF stays on here: forms and HTMX requests without a token are refused."""
import re

import pytest

from tests.conftest import ADMIN, form_token, make_app


@pytest.fixture
def csrf_client(database_url, users):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    return app.test_client()


def test_login_without_token_is_rejected(csrf_client):
    response = csrf_client.post("/login", data={"email": ADMIN["email"], "password": ADMIN["password"]})
    assert response.status_code == 400
    assert csrf_client.get("/").status_code == 302


def test_login_with_token_works(csrf_client):
    token = form_token(csrf_client.get("/login").get_data(as_text=True))
    response = csrf_client.post(
        "/login", data={"email": ADMIN["email"], "password": ADMIN["password"], "csrf_token": token}
    )
    assert response.status_code == 302


def test_htmx_post_without_header_is_rejected_and_header_is_accepted(csrf_client):
    token = form_token(csrf_client.get("/login").get_data(as_text=True))
    csrf_client.post("/login", data={"email": ADMIN["email"], "password": ADMIN["password"], "csrf_token": token})
    page = csrf_client.get("/").get_data(as_text=True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    refused = csrf_client.post("/logout", headers={"HX-Request": "true"})
    assert refused.status_code == 400
    assert b"Reload the page" in refused.data
    accepted = csrf_client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert accepted.status_code == 302
