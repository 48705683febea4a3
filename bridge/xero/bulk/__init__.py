"""Bulk Copy to Xero of any kind of document (invoices, credit notes): the selection and the
plan before anything is sent (plan.py), the background job under its own lease (jobs.py) and
its batches of up to 50 documents per Xero call (batches.py), exactly once per document.

What only one kind knows (which documents can go, their payloads, Xero's calls, what follows
Xero's answer) is a BulkKind (kinds.py) its package registers: bridge.xero.invoices.bulk and
bridge.xero.credit_notes.bulk. May import bridge.xero.sync (the lease), sending, settings and
api, bridge.billing and the models; never a kind's package or a blueprint.
"""
