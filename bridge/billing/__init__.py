"""Bridge's own invoicing rules, no Flask views: the invoice service (service.py), totals to the
cent (totals.py), invoice numbering (numbering.py) and payment status from payments
(payments.py), and the files kept with invoices and expenses (files.py: on the filesystem,
under ATTACHMENTS_FOLDER). Blueprints and the Xero core build on it; it imports only bridge.extensions and
bridge.models.
"""
