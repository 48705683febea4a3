"""Clients: the companies we invoice, which are also the suppliers of expenses."""
from flask import flash, render_template, request, url_for
from sqlalchemy import func, select

from bridge.extensions import db
from bridge.models import Company
from bridge.workspace import bp
from bridge.workspace.common import commit_unique, page_or_partial, redirect_to
from bridge.workspace.forms import ClientForm


@bp.get("/clients")
def clients():
    """All clients, optionally filtered by a part of the name (the table alone for HTMX)."""
    search = request.args.get("q", "").strip()
    query = select(Company).order_by(func.lower(Company.name), Company.id)
    if search:
        query = query.where(func.lower(Company.name).contains(search.lower(), autoescape=True))
    companies = db.session.scalars(query).all()
    return page_or_partial(
        "workspace/clients.html", "workspace/_clients_table.html", companies=companies, search=search
    )


@bp.route("/clients/new", methods=["GET", "POST"])
def client_new():
    """Add a client."""
    return save_client(ClientForm(), Company())


@bp.route("/clients/<int:company_id>/edit", methods=["GET", "POST"])
def client_edit(company_id: int):
    """Change a client's details."""
    company = db.get_or_404(Company, company_id)
    return save_client(ClientForm(obj=company), company)


def save_client(form: ClientForm, company: Company):
    """Show the form, or save it and go back to the list; 422 with the errors when refused."""
    if form.validate_on_submit():
        form.populate_obj(company)
        db.session.add(company)
        if commit_unique(form):
            flash(f"Client {company.name} saved.", "success")
            return redirect_to(url_for("workspace.clients"))
    status = 422 if form.is_submitted() else 200
    return render_template("workspace/client_form.html", form=form, company=company), status
