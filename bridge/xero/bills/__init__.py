"""Budget expenses to Xero as bills: one expense (send.py, which registers the bill kind with
bridge.xero.sending), a selection in batches (batch.py) and the pure mapping (mapping.py).

May import bridge.xero.sending, settings and api, bridge.billing and the models; never
bridge.xero.invoices or a blueprint.
"""
