"""ISO 4217 currencies as Babel (CLDR) knows them: the codes Bridge offers and accepts."""
import datetime as dt
from functools import cache

from babel import Locale
from babel.numbers import get_currency_name, get_territory_currencies, list_currencies
from wtforms import SelectChoice
from wtforms.validators import ValidationError


@cache
def iso_currencies() -> tuple[str, ...]:
    """The ISO 4217 codes legal tender somewhere today (no historic ones like DEM), sorted."""
    known, today, codes = list_currencies(), dt.date.today(), set()
    for territory in Locale("en").territories:
        codes.update(get_territory_currencies(territory, start_date=today, tender=True))
    return tuple(sorted(codes & known))


def currency_label(code: str) -> str:
    """'EUR' -> 'EUR - Euro'."""
    return f"{code} - {get_currency_name(code, locale='en')}"


def currency_options(*keep: str | None) -> list[SelectChoice]:
    """A select's options: every ISO currency, plus codes already stored (`keep`) that are not."""
    codes = list(iso_currencies())
    codes += sorted({code for code in keep if code and code not in codes})
    return [SelectChoice(code, currency_label(code) if code in iso_currencies() else code) for code in codes]


def unknown_currency_message(code: str) -> str:
    """What a field says when given a code that is not an ISO 4217 currency in use."""
    return f"{code} is not an ISO 4217 currency: choose one from the list, e.g. EUR, USD or GBP."


class IsoCurrency:
    """Validator: the field's code is an ISO 4217 currency in use (empty passes)."""

    def __call__(self, form, field):
        if field.data and field.data not in iso_currencies():
            raise ValidationError(unknown_currency_message(field.data))
