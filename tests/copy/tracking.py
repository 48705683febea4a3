"""Helpers for the tracking and branding theme tests: Xero's cached categories, options and themes
(as the sandbox's seed has them: Region with an archived option Central, Department; themes
Standard and Agency), and tracking mappings saved as the settings save them."""
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroBrandingTheme, XeroTrackingCategory, XeroTrackingOption
from bridge.xero.settings import setup
from bridge.xero.settings.tracking import TrackingChoice
from bridge.xero_sandbox.seed import NZ_TENANT


def category_id(name: str) -> str:
    return db.session.scalar(select(XeroTrackingCategory.category_id).where(
        XeroTrackingCategory.tenant_id == NZ_TENANT, XeroTrackingCategory.name == name))


def option_id(category: str, option: str) -> str:
    return db.session.scalar(select(XeroTrackingOption.option_id).where(
        XeroTrackingOption.tenant_id == NZ_TENANT, XeroTrackingOption.category_id == category_id(category),
        XeroTrackingOption.name == option))


def theme_id(name: str) -> str:
    return db.session.scalar(select(XeroBrandingTheme.theme_id).where(
        XeroBrandingTheme.tenant_id == NZ_TENANT, XeroBrandingTheme.name == name))


def choice(category: str, source: str, options: dict, custom_field_id: int | None = None) -> TrackingChoice:
    """A category following a source; options maps Bridge values to Xero option names."""
    return TrackingChoice(category_id(category), category, source, custom_field_id,
                          {str(value): option_id(category, name) for value, name in options.items()})


def map_tracking(*choices: TrackingChoice, theme: str | None = None) -> None:
    """Save the tracking mappings (and the default theme) keeping every other setting."""
    answers = setup.load()
    answers.tracking = list(choices)
    answers.branding_theme_id = theme_id(theme) if theme else None
    setup.save(answers, None)


def line_tracking(xero_invoice: dict) -> list[dict[str, str]]:
    """Each line's tracking in Xero's answer as {category: option}."""
    return [{t["Name"]: t["Option"] for t in line.get("Tracking") or []} for line in xero_invoice["LineItems"]]
