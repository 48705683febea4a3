"""Branding themes: GET /BrandingThemes[/{id}], and the check of a document's BrandingThemeID.

Shape from the spec (schema BrandingTheme: BrandingThemeID, Name, Type INVOICE, SortOrder,
CreatedDateUTC as /Date(ms+0000)/ as in its examples). The spec's operation takes no where/order.
"""
from flask import g

from bridge.xero_sandbox import wire
from bridge.xero_sandbox.accounting import bp
from bridge.xero_sandbox.db import Invoice, db
from bridge.xero_sandbox.db_settings import BrandingTheme

# UNCONFIRMED wording: the notes (§19) say only that an unknown id is a validation error.
THEME_UNKNOWN = "The BrandingThemeID '{theme}' does not match a branding theme of this organisation."


def theme_json(theme: BrandingTheme) -> dict:
    """A branding theme as the spec's examples show it."""
    return {"BrandingThemeID": theme.id, "Name": theme.name, "Type": "INVOICE",
            "SortOrder": theme.sort_order, "CreatedDateUTC": wire.msdate(theme.created_utc)}


def themes(org_id: str) -> list[BrandingTheme]:
    """The organisation's themes, the default (SortOrder 0) first."""
    return list(db.session.scalars(db.select(BrandingTheme).filter_by(org_id=org_id)
                                   .order_by(BrandingTheme.sort_order, BrandingTheme.name)))


def theme_problem(org_id: str, theme_id: str | None) -> str | None:
    """Why a document cannot take this BrandingThemeID, or None (no id clears the theme).

    A value that is not a GUID cannot be read at all (BadValue: 400 PostDataInvalidException,
    as Xero's deserialiser refuses it; UNCONFIRMED wording).
    """
    if not theme_id:
        return None
    ident = str(theme_id).strip().lower()
    if not wire.GUID.match(ident):
        raise wire.BadValue(f"BrandingThemeID '{theme_id}' is not a GUID")
    if any(t.id == ident for t in themes(org_id)):
        return None
    return THEME_UNKNOWN.format(theme=theme_id)


def document_theme(doc: Invoice) -> BrandingTheme | None:
    """The theme a document is shown with: its own, else the organisation's default theme, as
    Xero renders a document that names none (the API answer still omits BrandingThemeID then)."""
    choices = themes(doc.org_id)
    own = next((t for t in choices if t.id == doc.branding_theme_id), None)
    return own or (choices[0] if choices else None)


@bp.get("/BrandingThemes")
def list_branding_themes():
    """Every theme, by SortOrder."""
    return wire.ok("BrandingThemes", [theme_json(t) for t in themes(g.org.id)])


@bp.get("/BrandingThemes/<theme_id>")
def get_branding_theme(theme_id):
    """One theme, as a one-element array."""
    found = next((t for t in themes(g.org.id) if t.id == theme_id.lower()), None)
    if found is None:
        return wire.not_found()
    return wire.ok("BrandingThemes", [theme_json(found)])
