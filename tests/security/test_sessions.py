"""Sessions the server can revoke (issue 18): a cookie names its user by a per-user session
token (Flask-Login's alternative id); logging out, a new password and deactivation rotate it,
so a cookie saved before (on any machine: the token is in the database) no longer works."""
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import User
from tests.conftest import ADMIN, MEMBER, make_app


def saved_cookie(client) -> str:
    return client.get_cookie("session").value


def second_machine(database_url, cookie: str):
    """Another app (another process or machine) given the saved cookie."""
    other = make_app(database_url).test_client()
    other.set_cookie("session", cookie)
    return other


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_the_cookie_carries_the_token_not_the_id(client, auth):
    auth.login()
    user = db.session.scalar(select(User).where(User.email == ADMIN["email"]))
    with client.session_transaction() as session:
        assert session["_user_id"] == user.session_token != str(user.id)


def test_a_cookie_saved_before_logout_no_longer_works(client, auth, database_url):
    auth.login()
    cookie = saved_cookie(client)
    elsewhere = second_machine(database_url, cookie)
    assert logged_in(elsewhere)
    auth.logout()
    replayed = make_app(database_url).test_client()
    replayed.set_cookie("session", cookie)
    assert not logged_in(replayed)
    assert not logged_in(elsewhere)


def test_set_password_ends_every_session_of_that_user_only(client, auth, runner, database_url):
    auth.login("member")
    member_cookie = saved_cookie(client)
    admin = make_app(database_url).test_client()
    admin.post("/login", data={"email": ADMIN["email"], "password": ADMIN["password"]})
    result = runner.invoke(args=["users", "set-password", "--email", MEMBER["email"]])
    assert "Every session of this user has ended." in result.output
    assert not logged_in(second_machine(database_url, member_cookie))
    assert logged_in(admin)


def test_deactivating_ends_sessions_and_refuses_login(client, auth, runner, database_url):
    auth.login("member")
    cookie = saved_cookie(client)
    assert runner.invoke(args=["users", "deactivate", "--email", MEMBER["email"]]).exit_code == 0
    assert not logged_in(second_machine(database_url, cookie))
    fresh = make_app(database_url).test_client()
    answer = fresh.post("/login", data={"email": MEMBER["email"], "password": MEMBER["password"]})
    assert answer.status_code == 401
    assert runner.invoke(args=["users", "activate", "--email", MEMBER["email"]]).exit_code == 0
    assert fresh.post("/login", data={"email": MEMBER["email"], "password": MEMBER["password"]}).status_code == 302


def test_existing_users_get_a_token_from_the_migration(tmp_path):
    """The migration gives every existing user a distinct token."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    app = make_app(f"sqlite:///{tmp_path / 'upgrade.sqlite'}")
    with app.app_context():
        upgrade(revision="e8b111500001")
        for n in range(3):
            db.session.execute(text(
                "INSERT INTO users (email, name, password_hash, role, created_at) "
                f"VALUES ('u{n}@example.com', 'U', 'x', 'member', '2026-01-01 00:00:00')"))
        db.session.commit()
        upgrade()
        tokens = db.session.execute(text("SELECT session_token, active FROM users")).all()
        db.session.remove()
        db.engine.dispose()
    assert len({t for t, _ in tokens}) == 3 and all(t and len(t) >= 40 for t, _ in tokens)
    assert all(active for _, active in tokens)
