"""Sending one document to Xero exactly once, shared by invoices, bills and later credit notes:
the frame (once.py: the attempt key as a row committed before Xero is called), one attempt and
its recovery (attempt.py), the activity log, Xero's refusals in plain words (explain.py),
contacts, History & Notes and PDFs (documents.py), the document's files uploaded to it exactly once
(attachments.py), and payload pieces every document shares.

It never imports its users: each kind of document registers what only it knows
(attempt.register(DocumentKind(...))). May import bridge.xero.settings, bridge.xero.api,
bridge.extensions, bridge.billing and bridge.models.
"""
