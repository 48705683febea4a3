from flask import render_template

from bridge.invoicing import bp


@bp.get("/")
def index():
    return render_template("invoicing/index.html")
