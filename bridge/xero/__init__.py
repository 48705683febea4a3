"""The Xero integration core: no Flask views, one sub-package per capability.

Layers, top to bottom (an upper one may import a lower one, never the reverse; the
import-linter contracts in .importlinter hold this, and CI runs them):

    scheduling   the in-app scheduler and `flask xero` commands: runs the sync and bulk jobs
    invoices     invoices to Xero: the single copy, the modal's options, mapping, the invoice kind of bulk copy
    bills        budget expenses to Xero as bills: single, batch, mapping
    credit_notes credit notes to Xero, their allocation to the invoice's copy, the credit note kind of bulk copy
    bulk         bulk copy of any kind of document: plan, job under its lease, batches of 50, exactly once
    sync         payments and documents mirrored Xero -> Bridge; leases (one poller, one run)
    sending      one document sent exactly once: attempts, activity, refusals, contacts, notes, PDFs
    settings     the integration's settings, Xero's cached reference data, readiness, connecting
    api          the Xero API client: HTTP, OAuth, tokens, rate budget, errors, wire format, dates

invoices, bills, credit_notes and sync are independent of each other. The core imports bridge.models,
bridge.extensions, bridge.billing and bridge.fields; it never imports a blueprint.
"""
