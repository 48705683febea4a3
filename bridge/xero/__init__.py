"""The Xero integration core, no Flask views: XeroClient (client.py) over transport.py,
auth.py and connection.py, with wire/dates/errors/ratelimit/tokens as its helpers."""
