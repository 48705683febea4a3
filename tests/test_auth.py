"""Login, logout, roles and safe redirects."""
import pytest

from bridge.extensions import db
from bridge.models import User
from tests.conftest import ADMIN


def test_pages_need_a_login(client, users):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_htmx_request_without_login_gets_hx_redirect(client, users, hx):
    response = client.get("/", headers=hx)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_login_page_is_public(client):
    assert client.get("/login").status_code == 200


def test_login_and_logout(client, auth):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "email, password",
    [(ADMIN["email"], "wrong-password"), ("nobody@example.com", ADMIN["password"])],
)
def test_wrong_credentials_give_one_message_without_hint(client, users, email, password):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 401
    assert b"Email or password is incorrect." in response.data
    assert b"no such user" not in response.data.lower()
    assert client.get("/").status_code == 302


def test_email_is_case_insensitive(client, users):
    response = client.post("/login", data={"email": ADMIN["email"].upper(), "password": ADMIN["password"]})
    assert response.status_code == 302


def test_passwords_are_hashed(app, users):
    stored = db.session.get(User, users["admin"].id).password_hash
    assert ADMIN["password"] not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize("target", ["/clients", "/?page=2"])
def test_next_redirect_on_site(client, users, target):
    response = client.post(
        f"/login?next={target}", data={"email": ADMIN["email"], "password": ADMIN["password"]}
    )
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "evil.example"],
)
def test_next_redirect_never_leaves_the_site(client, users, target):
    response = client.post(
        "/login", query_string={"next": target},
        data={"email": ADMIN["email"], "password": ADMIN["password"]},
    )
    assert response.headers["Location"] == "/"


def test_member_gets_403_on_admin_pages(client, auth):
    auth.login("member")
    assert client.get("/settings").status_code == 403


def test_admin_reaches_admin_pages(client, auth):
    auth.login("admin")
    assert client.get("/settings").status_code == 200


def test_unknown_page_is_404(client, auth):
    auth.login()
    assert client.get("/no-such-page").status_code == 404


def test_cli_creates_user_with_generated_password(runner, app):
    result = runner.invoke(args=["users", "create", "--email", "New@Example.com", "--name", "New", "--role", "admin"])
    assert result.exit_code == 0, result.output
    password = result.output.split("(shown once): ")[1].strip()
    user = db.session.scalar(db.select(User).filter_by(email="new@example.com"))
    assert user.role == "admin" and user.check_password(password)


def test_cli_refuses_duplicate_email(runner, users):
    result = runner.invoke(args=["users", "create", "--email", ADMIN["email"], "--name", "Again"])
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_production_default_hashes_with_scrypt(app, monkeypatch):
    from bridge.config import from_environment

    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    app.config["PASSWORD_HASH_METHOD"] = from_environment()["PASSWORD_HASH_METHOD"]
    user = User(email="s@example.com", name="S", role="member")
    user.set_password("a-long-password")
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("a-long-password") and not user.check_password("other")
