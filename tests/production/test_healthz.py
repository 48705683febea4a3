"""/healthz: no login, the database checked, the Xero side in counts that identify nobody."""
from datetime import timedelta

from bridge.extensions import db
from bridge.models import BillingEntity, XeroConnection, XeroSettings, XeroSyncState, utcnow
from bridge.xero.sync import lease
from tests.conftest import make_app

NZ = "2f6f0c9e-6b43-4f0a-9c52-4d3f5a3e1a11"
AU = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def connection(tenant_id: str, name: str, status: str = "active") -> XeroConnection:
    """A connection for a billing entity of its own, named after the organisation."""
    entity = BillingEntity(name=f"Entity of {name}", base_currency="NZD")
    db.session.add(entity)
    db.session.flush()
    return XeroConnection(entity_id=entity.id, tenant_id=tenant_id, tenant_name=name, connection_id=tenant_id,
                          access_token_encrypted="gAAAA-access-ciphertext",
                          refresh_token_encrypted="gAAAA-refresh-ciphertext",
                          access_token_expires_at=utcnow(), status=status)


def test_healthy_without_a_login_and_without_a_cookie(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert answer.get_json() == {"status": "ok", "database": "ok", "xero": {
        "connected": 0, "needs_reconnect": 0, "payment_sync": {
            "organisations": 0, "with_error": 0, "last_success_age_seconds": None,
            "poller": "none", "scheduler_here": False}}}


def test_xero_connections_and_payment_sync_are_counted_without_naming_anyone(client, users):
    db.session.add_all([connection(NZ, "Demo Company (NZ)"),
                        connection(AU, "Demo Company (AU)", status="needs_reconnect")])
    nz = db.session.scalar(db.select(XeroConnection).filter_by(tenant_id=NZ))
    db.session.add(XeroSettings(entity_id=nz.entity_id, tenant_id=NZ, sync_payments=True,
                                payments_synced_since=utcnow()))
    db.session.add_all([
        XeroSyncState(tenant_id=NZ, last_success_at=utcnow() - timedelta(seconds=90),
                      last_error="Xero said: token abc123 rejected for admin@example.com"),
        XeroSyncState(tenant_id=AU, last_success_at=utcnow() - timedelta(days=3)),  # sync off
    ])
    db.session.commit()
    lease.acquire(db.engine, lease.POLLER, "web-1:4242:abc", timedelta(minutes=5))

    answer = client.get("/healthz")
    assert answer.status_code == 200
    xero = answer.get_json()["xero"]
    assert (xero["connected"], xero["needs_reconnect"]) == (1, 1)
    sync = xero["payment_sync"]
    assert (sync["organisations"], sync["with_error"], sync["poller"]) == (1, 1, "active")
    assert 89 <= sync["last_success_age_seconds"] <= 95
    body = answer.get_data(as_text=True)
    for secret in (NZ, AU, "Demo Company", "ciphertext", "abc123", "example.com", "web-1", "4242"):
        assert secret not in body


def test_an_unreachable_database_answers_503_without_details():
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    down = make_app("postgresql+psycopg://bridge:hunter2@127.0.0.1:1/bridge").test_client()
    answer = down.get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable", "database": "unreachable"}
    assert "hunter2" not in answer.get_data(as_text=True)
