"""Bulk Copy to Xero: the plan before anything is sent (plan.py), the background job under its
own lease (jobs.py) and its batches of up to 50 invoices per call (batches.py)."""
