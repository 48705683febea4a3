"""Forms shared across blueprints."""
from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A CSRF-only form for buttons that change state."""
