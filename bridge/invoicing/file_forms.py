"""Forms of the Files section: upload one file (an invoice's supporting file, an expense's receipt)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField


class FileUploadForm(FlaskForm):
    """One file, multipart; the checks of its type and size are bridge.billing.files'."""

    file = FileField("Add a file", validators=[FileRequired("Choose a PDF, PNG or JPEG file to upload.")])
    # Invoices only: the file's default for "show with the online invoice" in Xero.
    include_online = BooleanField("Show with the online invoice in Xero", default=True)
