"""The Xero integration core: the HTTP client (client.py) and its helpers; no Flask views."""
