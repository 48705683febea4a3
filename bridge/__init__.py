"""Bridge: an invoicing workspace for agencies, with a Xero integration.

create_app reads like a table of contents: configuration, extensions, URL converters, blueprints,
error handlers, security headers and cookies, versioned static files, CLI commands, template
helpers, the scheduler.
"""
from flask import Flask

from bridge import config


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Bridge app: defaults, then the environment, then test_config."""
    app = Flask(
        __name__,
        instance_path=str(config.INSTANCE_DIR),
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)

    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_static_files(app)
    register_commands(app)
    register_template_helpers(app)
    register_scheduler(app)
    return app


def register_extensions(app: Flask) -> None:
    from bridge import models  # noqa: F401  (registers the tables with the metadata)
    from bridge.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config.INSTANCE_DIR.parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    from bridge.billing import entities

    entities.watch(db.session)


def register_url_converters(app: Flask) -> None:
    from bridge import bounds

    bounds.init_app(app)


def register_blueprints(app: Flask) -> None:
    from bridge.auth import bp as auth_bp
    from bridge.health import bp as health_bp
    from bridge.invoicing import bp as invoicing_bp
    from bridge.marketplace import bp as marketplace_bp
    from bridge.webhooks import bp as webhooks_bp
    from bridge.workspace import bp as workspace_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(invoicing_bp)
    app.register_blueprint(marketplace_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(health_bp)


def register_errorhandlers(app: Flask) -> None:
    from bridge import errors

    errors.init_app(app)


def register_security(app: Flask) -> None:
    from bridge import security

    security.init_app(app)


def register_static_files(app: Flask) -> None:
    from bridge import static_files

    static_files.init_app(app)


def register_commands(app: Flask) -> None:
    from bridge import commands, demo
    from bridge.xero.scheduling.commands import xero_cli

    commands.init_app(app)
    demo.init_app(app)
    app.cli.add_command(xero_cli)


def register_template_helpers(app: Flask) -> None:
    from bridge import formatting

    formatting.init_app(app)


def register_scheduler(app: Flask) -> None:
    from bridge.xero.scheduling import scheduler

    scheduler.init_app(app)
