"""APScheduler inside the app (scheduler.py: the payment sync every XERO_POLL_SECONDS in one
process, and bulk copy jobs) and the `flask xero` commands that run the same services by hand.

The top of the core: may import every other bridge.xero package.
"""
