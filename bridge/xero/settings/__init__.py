"""The integration's settings and Xero's reference data: the wizard's answers (setup.py),
Xero's accounts and tax rates cached per organisation (reference.py), its tracking categories
and branding themes with the tracking mappings (tracking.py; the pure rules of a line's tracking:
tracking_rules.py), whether Bridge can send
now and Xero's words and links (readiness.py), an organisation's sync-state row (state.py), and
connecting or disconnecting an organisation (connect.py).

The marketplace's screens read and save these; nothing here imports a blueprint. May import
bridge.xero.api, bridge.extensions and bridge.models.
"""
