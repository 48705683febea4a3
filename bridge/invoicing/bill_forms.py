"""Forms of Send to Xero: one expense (create, update), and a selection of a budget's expenses."""
from uuid import uuid4

from flask_wtf import FlaskForm
from wtforms import FieldList, HiddenField, IntegerField, SelectMultipleField, StringField
from wtforms.validators import AnyOf, DataRequired

from bridge.bounds import coerce_id, parse_id
from bridge.xero.bills.send import STALE_PAGE



class SendForm(FlaskForm):
    """One send; the attempt key is made when the button is shown, so a double click is one send."""

    attempt_key = HiddenField(validators=[DataRequired(STALE_PAGE)])
    action = HiddenField(validators=[AnyOf(("create", "update"), message="Choose Send to Xero, "
                                                                         "Update existing or Create new.")])

    @classmethod
    def fresh(cls, action: str) -> "SendForm":
        return cls(formdata=None, data={"attempt_key": str(uuid4()), "action": action})


class SelectionForm(FlaskForm):
    """The expenses ticked on the budget page."""

    expense_ids = SelectMultipleField(coerce=coerce_id, validate_choice=False,
                                      validators=[DataRequired("Tick the expenses to send to Xero.")])


class BatchForm(FlaskForm):
    """What is still to send, as "expense id:attempt key" items, and the progress so far: how
    many were ticked, how many of them are sent at all (total), skipped and why, not sent."""

    items = FieldList(StringField())
    total = IntegerField(default=0)
    ticked = IntegerField(default=0)
    missing = IntegerField(default=0)
    before = IntegerField(default=0)
    not_sent = IntegerField(default=0)

    def pairs(self) -> list[tuple[int, str]]:
        """The items as (expense id, attempt key); malformed ones are dropped."""
        pairs = []
        for entry in self.items.data:
            expense_id, _, key = (entry or "").partition(":")
            if parse_id(expense_id) is not None and key:
                pairs.append((int(expense_id), key))
        return pairs

