"""Bulk Copy to Xero of invoices: the invoice kind of bridge.xero.bulk (kind.py registers it),
which invoices can go (sorting.py), and the invoice-shaped API the views, tests and benches use
(plan.py, jobs.py) over the shared machinery."""
