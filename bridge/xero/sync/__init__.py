"""The payment sync, Xero -> Bridge, one way: one incremental run per organisation
(payments.py), mirroring what Xero sent into Bridge's payments and documents (mirror.py), and
the database leases that let one process poll and one run work an organisation (lease.py).
Webhooks only ask for an early run.

May import bridge.xero.settings and api, bridge.billing and the models; never invoices, bills
or a blueprint.
"""
