"""The billing entities migration keeps everything: the organisation's details, the number
patterns, every invoice and budget, the Xero settings, mappings and connections (SQLite and
PostgreSQL: the PostgreSQL pass runs this against a fresh schema)."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from bridge.extensions import db
from tests.conftest import make_app
from tests.test_migrations import empty_database_url  # noqa: F401  (the fixture)

BEFORE = "f20b00000001"
NOW = "'2026-12-01 10:00:00'"


def _fill_the_old_schema() -> None:
    run = lambda sql: db.session.execute(text(sql))  # noqa: E731
    run("INSERT INTO organisation (id, name, address, tax_number, bank_details, payment_terms, logo, logo_type, "
        f"updated_at) VALUES (1, 'Harbour & Pine Studio', 'Wellington', 'NZ 1', 'ANZ 01', '30 days', NULL, NULL, {NOW})")
    run("INSERT INTO workspace_settings (id, invoice_number_pattern, credit_note_number_pattern, locale) "
        "VALUES (1, 'HP-{year}-{seq:03}', 'HPC-{seq}', 'en')")
    run(f"INSERT INTO companies (id, name, default_currency, created_at) VALUES (1, 'Acme', 'NZD', {NOW})")
    run(f"INSERT INTO invoices (id, number, subject, client_id, currency, issue_date, due_date, status, subtotal, "
        "tax_total, total, amount_paid, amount_credited, payment_status, created_at, updated_at) VALUES "
        f"(1, 'HP-2026-001', 'Brand', 1, 'NZD', '2026-11-01', '2026-12-01', 'sent', 100, 15, 115, 0, 0, 'unpaid', "
        f"{NOW}, {NOW})")
    run(f"INSERT INTO budgets (id, name, client_id, currency, created_at) VALUES (1, 'Launch', 1, 'NZD', {NOW})")
    for index, (tenant, name) in enumerate([("t-nz", "Demo Company (NZ)"), ("t-uk", "Demo Company (UK)")], start=1):
        run("INSERT INTO xero_connections (id, tenant_id, tenant_name, connection_id, access_token_encrypted, "
            "refresh_token_encrypted, access_token_expires_at, scopes, connected_at, status, refresh_version) "
            f"VALUES ({index}, '{tenant}', '{name}', 'c{index}', 'a', 'r', {NOW}, '', {NOW}, 'active', 0)")
    run("INSERT INTO xero_settings (id, tenant_id, invoice_numbers_by, pdfs_by, sync_payments, initial_status, "
        "reference_from, export_expenses) VALUES (1, 't-nz', 'bridge', 'xero', false, 'AUTHORISED', 'subject', false)")
    run("INSERT INTO service_types (id, name, archived) VALUES (1, 'Design', false)")
    run("INSERT INTO xero_service_type_accounts (id, service_type_id, revenue_account_code) VALUES (1, 1, '200')")
    db.session.commit()


def test_existing_data_moves_to_the_first_entity_and_back(empty_database_url):  # noqa: F811
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        _fill_the_old_schema()
        upgrade()
        one = lambda sql: db.session.execute(text(sql)).one()  # noqa: E731
        entity = one("SELECT id, name, address, tax_number, bank_details, payment_terms, invoice_number_pattern, "
                     "credit_note_number_pattern, base_currency FROM billing_entities WHERE id = 1")
        assert tuple(entity) == (1, "Harbour & Pine Studio", "Wellington", "NZ 1", "ANZ 01", "30 days",
                                 "HP-{year}-{seq:03}", "HPC-{seq}", app.config["BRIDGE_BASE_CURRENCY"])
        # The second organisation of an older consent gets an entity of its own, named after it.
        assert tuple(one("SELECT name FROM billing_entities WHERE id = 2")) == ("Demo Company (UK)",)
        assert db.session.execute(text("SELECT tenant_id, entity_id FROM xero_connections ORDER BY id")).all() == [
            ("t-nz", 1), ("t-uk", 2)]
        assert tuple(one("SELECT entity_id, pdfs_by, initial_status FROM xero_settings")) == (1, "xero", "AUTHORISED")
        assert tuple(one("SELECT entity_id, number, total FROM invoices")) == (1, "HP-2026-001", 115)
        assert tuple(one("SELECT entity_id FROM budgets")) == (1,)
        assert tuple(one("SELECT entity_id, revenue_account_code FROM xero_service_type_accounts")) == (1, "200")
        db.session.commit()

        downgrade(revision=BEFORE)
        assert tuple(one("SELECT name, bank_details FROM organisation")) == ("Harbour & Pine Studio", "ANZ 01")
        assert tuple(one("SELECT invoice_number_pattern, credit_note_number_pattern FROM workspace_settings")) == (
            "HP-{year}-{seq:03}", "HPC-{seq}")
        assert tuple(one("SELECT number FROM invoices")) == ("HP-2026-001",)
        db.session.commit()
        db.engine.dispose()
