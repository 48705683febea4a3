"""Which Xero tracking option a document line carries: pure rules, no I/O, no Flask.

The settings map each of at most two Xero tracking categories to one Bridge source (an invoice
custom field of type select, the service type, the client, or for bills the budget) and each of
the source's values to one of the category's options (bridge.xero.settings.tracking builds the
rules from them and Xero's cached categories). A line carries, per category, Xero's
`Tracking: [{Name: <category name>, Option: <option name>}]` (spec LineItemTracking; names are
what Xero matches on a write, XERO_API_NOTES.md §19): the spec allows ids too, names were chosen
so the body reads as Xero's documentation and the notes show it.

A value without a mapped option sends nothing for that category (said in the preview); an
option or category archived in Xero (or gone from it) is a refusal before sending, since Xero
would refuse the line ("The TrackingOption '…' does not exist or is archived").
"""
from dataclasses import dataclass, field

SOURCE_WORDS = {"service_type": "service type", "client": "client", "budget": "budget"}
WHERE = "Tracking categories in Settings > App Marketplace > Xero"


@dataclass(frozen=True)
class OptionTarget:
    """The Xero option a Bridge value is mapped to, and whether Xero would refuse it."""

    name: str
    archived: bool = False


@dataclass(frozen=True)
class CategoryRule:
    """One Xero category, the Bridge source it follows and its mapped options (value -> option)."""

    category: str
    source: str
    # "custom_field:<id>" for a custom field, else the source itself: the key of a line's values.
    key: str
    # What people call the source: the custom field's name, or "service type", "client", "budget".
    source_label: str
    options: dict = field(default_factory=dict)
    # Why Xero would refuse any option of this category (archived, or no longer in Xero); None: usable.
    category_problem: str | None = None


@dataclass(frozen=True)
class LineTracking:
    """A line's tracking: the entries sent, what the preview shows, and what is missing or refused."""

    entries: tuple = ()
    # (category, option name or None) per mapped category, in the settings' order.
    shown: tuple = ()
    unmapped: tuple = ()
    refused: tuple = ()


@dataclass(frozen=True)
class TrackingRules:
    """The mapped categories that apply to one kind of document (invoices or bills)."""

    categories: tuple = ()

    def __bool__(self) -> bool:
        return bool(self.categories)

    def line(self, values: dict) -> LineTracking:
        """The tracking of a line whose source values are `values`: key -> (value, label) or None."""
        entries, shown, unmapped, refused = [], [], [], []
        for rule in self.categories:
            found = values.get(rule.key)
            value, label = found if found else (None, None)
            option = rule.options.get(value) if value is not None else None
            if option is None:
                shown.append((rule.category, None))
                unmapped.append(_unmapped(rule, label))
                continue
            shown.append((rule.category, option.name))
            if rule.category_problem:
                refused.append(rule.category_problem)
            elif option.archived:
                refused.append(f"The tracking option {option.name} ({rule.category}), mapped to "
                               f"{_what(rule, label)}, is archived in Xero or no longer there: Xero "
                               f"would refuse it. Map it to another option under {WHERE}.")
            else:
                entries.append({"Name": rule.category, "Option": option.name})
        return LineTracking(tuple(entries), tuple(shown), tuple(unmapped), tuple(refused))


def _what(rule: CategoryRule, label: str | None) -> str:
    if rule.source == "custom_field":
        return f"{label} of {rule.source_label}"
    return f"the {rule.source_label} {label}"


def _unmapped(rule: CategoryRule, label: str | None) -> str:
    if label is None:
        where = "invoice" if rule.source == "custom_field" else "line"
        return f"{rule.category}: this {where} has no {rule.source_label}, sent without a {rule.category} option."
    return f"{rule.category}: no option is mapped to {_what(rule, label)}, sent without a {rule.category} option."


def first_refusal(lines: list[LineTracking]) -> str | None:
    """The first reason Xero would refuse one of these lines' tracking, or None."""
    return next((reason for line in lines for reason in line.refused), None)


def unmapped_notes(lines: list[LineTracking]) -> list[str]:
    """What the lines send without an option, each said once."""
    return list(dict.fromkeys(note for line in lines for note in line.unmapped))
