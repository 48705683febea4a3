"""Credit notes to Xero: the copy of a Bridge credit note as an ACCRECCREDIT credit note, made
exactly once through bridge.xero.sending (copy.py registers the credit note kind), the pure
mapping from the invoice's copy (mapping.py), and the allocation to the invoice's live copy in
the same action (allocation.py).

May import bridge.xero.sending, settings and api, bridge.billing and the models; never
bridge.xero.invoices, bridge.xero.bills, bridge.xero.sync or a blueprint (what the invoice's
copy sent is read from its XeroCopy row, Xero's figures from the ledger).
"""
