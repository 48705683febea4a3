"""The Xero sandbox: a local emulator of the parts of Xero that Bridge uses.

Its own Flask app, its own database and its own models; nothing here imports the rest of
Bridge. Run it alone with `flask --app bridge.xero_sandbox run --port 5050`.
create_app reads like a table of contents: configuration, extensions, database,
blueprints, error handlers.
"""
import os
import threading

from flask import Flask, g, render_template, request
from sqlalchemy import event

from bridge.xero_sandbox import config


def create_app(test_config: dict | None = None) -> Flask:
    """Build the sandbox: defaults and environment, then test_config."""
    app = Flask(
        __name__, instance_path=str(config.INSTANCE_DIR), template_folder="templates",
        static_folder="static", static_url_path="/_ui/static",
    )
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)

    register_extensions(app)
    prepare_database(app)
    register_blueprints(app)
    register_errorhandlers(app)
    return app


def register_extensions(app: Flask) -> None:
    """Database, clock, limiter/fault injector, request recorder and webhook sender."""
    from bridge.xero_sandbox import clock, faults, recorder, webhooks
    from bridge.xero_sandbox.db import db

    db.init_app(app)
    clock.init_app(app)
    faults.init_app(app)  # injected faults run first, so a "hang" holds no lock
    recorder.init_app(app)
    webhooks.init_app(app)
    register_write_lock(app)


def register_write_lock(app: Flask) -> None:
    """Serialise writing requests in this process.

    Checks such as "amount <= AmountDue" and "next free INV- number" read, then write;
    two requests interleaving there could overpay an invoice or reuse a number. SQLite
    takes one writer at a time anyway, so one lock costs little.
    """
    lock = threading.Lock()

    @app.before_request
    def _acquire() -> None:
        """Take the write lock for a writing request."""
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            lock.acquire()
            g.sandbox_write_lock = True

    @app.teardown_request
    def _release(_exc) -> None:
        """Give the write lock back, whatever happened."""
        if g.pop("sandbox_write_lock", False):
            lock.release()


def prepare_database(app: Flask) -> None:
    """Create the tables (an emulator needs no migrations) and seed demo data on first start."""
    from bridge.xero_sandbox import seed
    from bridge.xero_sandbox.db import db

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _create_private(db.engine.url.database)
            event.listen(db.engine, "connect", _sqlite_pragmas)
        db.create_all()
        if app.config["SANDBOX_SEED"]:
            seed.seed_all()


def _sqlite_pragmas(connection, _record) -> None:
    """WAL lets readers run beside the one writer; NORMAL sync skips an fsync per commit
    (an emulator may lose the last instant of data on power loss, never its consistency)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def register_blueprints(app: Flask) -> None:
    """Identity, Accounting, the demo UI, and the control API when enabled."""
    from bridge.xero_sandbox import accounting, identity, signing, ui

    app.url_map.converters["ci"] = identity.CaseInsensitiveConverter
    app.register_blueprint(identity.bp)
    app.register_blueprint(signing.bp)
    app.register_blueprint(accounting.bp)
    app.register_blueprint(ui.bp)
    if app.config["SANDBOX_CONTROL_ENABLED"]:
        from bridge.xero_sandbox import control

        app.register_blueprint(control.bp)


def _wants_json() -> bool:
    """API paths get Xero-style JSON errors; the UI gets pages."""
    return not request.path.startswith(("/_ui", "/ui", "/identity/"))


def register_errorhandlers(app: Flask) -> None:
    """404/405/500 in the caller's language (JSON for APIs, HTML for the UI)."""
    from bridge.xero_sandbox import wire
    from bridge.xero_sandbox.db import db

    @app.errorhandler(404)
    def not_found(_error):
        """Unknown route or record."""
        if _wants_json():
            return wire.not_found()
        return render_template("error.html", code=404, title="Not found"), 404

    @app.errorhandler(405)
    def not_allowed(_error):
        """Known route, wrong method."""
        if _wants_json():
            return wire.problem(405, "Method Not Allowed", "The requested method is not allowed")
        return render_template("error.html", code=405, title="Method not allowed"), 405

    @app.errorhandler(500)
    def server_error(_error):
        """A bug in the sandbox: undo the session and say so."""
        db.session.rollback()
        if _wants_json():
            return wire.problem(500, "Internal Server Error", "An error occurred in the sandbox")
        return render_template("error.html", code=500, title="Server error"), 500


def _create_private(path: str | None) -> None:
    """The sandbox's SQLite file, when missing, is created readable by its owner only (0600),
    like Bridge's: it holds tokens. (The sandbox imports nothing of Bridge, so it has its own.)"""
    if path and path != ":memory:" and not path.startswith("file:"):
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except (FileExistsError, FileNotFoundError):
            pass
