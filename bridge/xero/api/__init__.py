"""The Xero API client: XeroClient (client.py, its contact operations in contacts.py) over
transport.py (retries, rate limits, call counts, errors) over adapter.py (requests without a
Session), auth.py (OAuth with Xero's identity service), connection.py and tokens.py (one
organisation's tokens, encrypted at rest), ratelimit.py, errors.py, wire.py and dates.py.

Owns the conversation with Xero and nothing of Bridge's documents. May import only
bridge.extensions and bridge.models (and third-party libraries).
"""
