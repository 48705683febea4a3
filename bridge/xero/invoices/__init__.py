"""Invoices to Xero: the single copy (copy.py, which registers the invoice kind with
bridge.xero.sending), what the Copy to Xero modal offers and previews (options.py), the pure
mapping to Xero's payloads (mapping.py), and bulk copy (bulk/).

May import bridge.xero.sync (leases), sending, settings and api, bridge.billing and the
models; never bridge.xero.bills or a blueprint.
"""
