"""The form of the Void / Delete dialog: the attempt key made when it opens, and the
confirmation of a Bridge-only void when Xero cannot end a copy."""
from uuid import uuid4

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField
from wtforms.validators import UUID, DataRequired

OUT_OF_DATE = "This window is out of date: close it and open it again."


class VoidForm(FlaskForm):
    """One submit of the dialog; attempt_key is kept on a retry, so each copy is ended once."""

    attempt_key = HiddenField(validators=[DataRequired(OUT_OF_DATE), UUID(OUT_OF_DATE)])
    # Its own submit button (name="bridge_only"), offered only when Xero cannot end a copy.
    bridge_only = BooleanField("Void in Bridge only")

    @classmethod
    def opened(cls) -> "VoidForm":
        """The form as the dialog opens: a fresh attempt key, nothing confirmed."""
        form = cls(formdata=None)
        form.attempt_key.data = str(uuid4())
        return form
