"""Settings lists whose rows are added, edited and archived in place with HTMX.

Service types, tax rates and custom fields behave the same way; each is one InlineList
with its own form and two small templates (the row's cells, the form's fields). Every
view also works without JavaScript: it then answers the whole page, or redirects.
"""
from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select

from bridge.auth.roles import admin_required
from bridge.extensions import db
from bridge.workspace.common import commit_unique, is_htmx

TEMPLATES = "workspace/settings"


@dataclass(frozen=True)
class InlineList:
    model: type
    form: type  # a UniqueNameForm
    key: str  # "service_type": endpoints settings_service_type_<action>, row ids service_type-<id>
    plural: str  # "service_types": the list's endpoint settings_service_types and URL
    title: str
    columns: tuple[str, ...]  # headers of the cells template, before Status and actions
    order_by: tuple
    intro: str  # template with a line about the list, under the title
    edit_label: str = "Edit"
    on_create: Callable | None = None  # called with the new row before it is added

    @property
    def noun(self) -> str:
        return self.form.noun

    def endpoint(self, action: str | None = None) -> str:
        """The endpoint name within the blueprint for a view of this list."""
        return f"settings_{self.plural}" if action is None else f"settings_{self.key}_{action}"

    def url(self, action: str | None = None, **values) -> str:
        return url_for(f"workspace.{self.endpoint(action)}", **values)

    def template(self, part: str) -> str:
        """This list's own `cells` or `fields` template."""
        return f"{TEMPLATES}/_{self.key}_{part}.html"

    def register(self, bp: Blueprint) -> None:
        """Add the list's views to the blueprint, admins only."""
        base = "/settings/" + self.plural.replace("_", "-")
        for rule, action, view, methods in (
            ("", None, self.index, ["GET"]),
            ("/new", "new", self.create, ["POST"]),
            ("/<int:item_id>", "row", self.row, ["GET"]),
            ("/<int:item_id>/edit", "edit", self.edit, ["GET", "POST"]),
            ("/<int:item_id>/archive", "archive", self.archive, ["POST"]),
            ("/<int:item_id>/unarchive", "unarchive", self.unarchive, ["POST"]),
        ):
            bp.add_url_rule(base + rule, self.endpoint(action), admin_required(view), methods=methods)

    # Forms: prefixes keep input ids unique while the new row and an edited row share the page.

    def new_form(self, blank: bool = False):
        return self.form(prefix="new", **({"formdata": None} if blank else {}))

    def edit_form(self, item):
        return self.form(obj=item, prefix=f"edit-{item.id}")

    # Responses

    def page(self, status: int = 200, new_form=None, editing=None, edit_form=None):
        """The whole list, optionally with one row open for editing."""
        items = db.session.scalars(select(self.model).order_by(*self.order_by)).all()
        html = render_template(
            f"{TEMPLATES}/inline_list.html", inline=self, items=items,
            new_form=new_form or self.new_form(), editing=editing, edit_form=edit_form,
        )
        return html, status

    def form_row(self, form, item, status: int = 200):
        return render_template(f"{TEMPLATES}/_inline_form_row.html", inline=self, form=form, item=item), status

    def refuse(self, form, item):
        """The form again with its errors, as a row for HTMX or in the whole page; 422."""
        if is_htmx():
            return self.form_row(form, item, 422)
        if item is None:
            return self.page(422, new_form=form)
        return self.page(422, editing=item, edit_form=form)

    def done(self, item):
        """After a change: the updated row for HTMX, else back to the list."""
        if is_htmx():
            return render_template(f"{TEMPLATES}/_inline_row.html", inline=self, item=item)
        return redirect(self.url())

    # Views

    def index(self):
        """The list, with the form to add one at the top."""
        return self.page()

    def row(self, item_id: int):
        """One row as displayed; Cancel on an edited row fetches it."""
        item = db.get_or_404(self.model, item_id)
        return self.done(item)

    def create(self):
        """Add a row from the form at the top of the list."""
        form = self.new_form()
        if not form.validate_on_submit():
            return self.refuse(form, None)
        item = self.model()
        form.populate_obj(item)
        if self.on_create:
            self.on_create(item)
        db.session.add(item)
        if not commit_unique(form):
            return self.refuse(form, None)
        if not is_htmx():
            return redirect(self.url())
        # A blank form row replaces the submitted one, with the new row just under it.
        return render_template(
            f"{TEMPLATES}/_inline_created.html", inline=self, item=item, form=self.new_form(blank=True)
        )

    def edit(self, item_id: int):
        """Show a row as a form (GET) or save it (POST)."""
        item = db.get_or_404(self.model, item_id)
        form = self.edit_form(item)
        if request.method == "GET":
            return self.form_row(form, item) if is_htmx() else self.page(editing=item, edit_form=form)
        if not form.validate_on_submit():
            return self.refuse(form, item)
        form.populate_obj(item)
        if not commit_unique(form):
            return self.refuse(form, item)
        return self.done(item)

    def archive(self, item_id: int):
        """Hide a row from new choices; it stays on what already uses it."""
        return self._set_archived(item_id, True)

    def unarchive(self, item_id: int):
        """Offer an archived row again."""
        return self._set_archived(item_id, False)

    def _set_archived(self, item_id: int, archived: bool):
        item = db.get_or_404(self.model, item_id)
        item.archived = archived
        db.session.commit()
        return self.done(item)
