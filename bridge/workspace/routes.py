from flask import render_template

from bridge.auth.roles import admin_required
from bridge.workspace import bp


@bp.get("/clients")
def clients():
    return render_template("workspace/clients.html")


@bp.get("/budgets")
def budgets():
    return render_template("workspace/budgets.html")


@bp.get("/settings")
@admin_required
def settings():
    return render_template("workspace/settings.html")
