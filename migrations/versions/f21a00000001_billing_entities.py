"""billing entities: the companies that issue invoices, each with its own details, numbering,
base currency and Xero organisation

Revision ID: f21a00000001
Revises: f20b00000001
Create Date: 2026-12-07 21:30:00

Nothing is lost: the organisation row (Settings > Organisation) and the workspace's number
patterns become the first entity; every invoice, budget, Xero setting and mapping belongs to it,
and so does the connected Xero organisation. Each further connected organisation (from an older
consent that kept several) gets an entity of its own, named after it.
"""
import datetime as dt
import os

import sqlalchemy as sa
from alembic import op

revision = 'f21a00000001'
down_revision = 'f20b00000001'
branch_labels = None
depends_on = None

FIRST_NAME = "My agency"
DETAILS = ("address", "tax_number", "bank_details", "payment_terms", "logo", "logo_type")
# Tables whose rows all belong to the first entity (the settings and mappings of its organisation).
FIRST_ENTITY_TABLES = ("xero_service_type_accounts", "xero_tax_rate_mappings", "xero_tracking_mappings")

entities = sa.table(
    'billing_entities', sa.column('id', sa.Integer), sa.column('name', sa.String),
    *(sa.column(name, sa.LargeBinary if name == "logo" else sa.Text) for name in DETAILS),
    sa.column('base_currency', sa.String), sa.column('invoice_number_pattern', sa.String),
    sa.column('credit_note_number_pattern', sa.String),
    sa.column('created_at', sa.DateTime(timezone=True)), sa.column('updated_at', sa.DateTime(timezone=True)),
)


def _base_currency() -> str:
    try:
        from flask import current_app
        return current_app.config["BRIDGE_BASE_CURRENCY"]
    except (RuntimeError, KeyError):
        return os.environ.get("BRIDGE_BASE_CURRENCY", "EUR").strip().upper() or "EUR"


def upgrade():
    op.create_table('billing_entities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('tax_number', sa.String(length=50), nullable=True),
    sa.Column('bank_details', sa.Text(), nullable=True),
    sa.Column('payment_terms', sa.Text(), nullable=True),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_type', sa.String(length=20), nullable=True),
    sa.Column('base_currency', sa.String(length=3), nullable=False),
    sa.Column('invoice_number_pattern', sa.String(length=60), nullable=False),
    sa.Column('credit_note_number_pattern', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_entities')),
    sa.UniqueConstraint('name', name=op.f('uq_billing_entities_name'))
    )
    bind = op.get_bind()
    now = dt.datetime.now(dt.timezone.utc)
    organisation = bind.execute(sa.text(
        "SELECT name, address, tax_number, bank_details, payment_terms, logo, logo_type FROM organisation "
        "ORDER BY id LIMIT 1")).mappings().first() or {}
    patterns = bind.execute(sa.text(
        "SELECT invoice_number_pattern, credit_note_number_pattern FROM workspace_settings ORDER BY id LIMIT 1"
    )).mappings().first() or {}
    first = {
        "id": 1, "name": (organisation.get("name") or "").strip() or FIRST_NAME,
        **{name: organisation.get(name) for name in DETAILS},
        "base_currency": _base_currency(),
        "invoice_number_pattern": patterns.get("invoice_number_pattern") or "{year}-{seq:04}",
        "credit_note_number_pattern": patterns.get("credit_note_number_pattern") or "CN-{year}-{seq:04}",
        "created_at": now, "updated_at": now,
    }
    bind.execute(entities.insert().values(**first))
    connections = bind.execute(sa.text("SELECT id, tenant_name FROM xero_connections ORDER BY id")).all()
    owners = {}  # connection id -> entity id
    names = {first["name"]}
    for index, (connection_id, tenant_name) in enumerate(connections):
        if index == 0:
            owners[connection_id] = 1
            continue
        name, n = tenant_name, 2
        while name in names:
            name, n = f"{tenant_name} ({n})", n + 1
        names.add(name)
        entity_id = index + 1
        bind.execute(entities.insert().values(
            id=entity_id, name=name, base_currency=first["base_currency"], invoice_number_pattern=f"E{entity_id}-{{year}}-{{seq:04}}",
            credit_note_number_pattern=f"E{entity_id}-CN-{{year}}-{{seq:04}}", created_at=now, updated_at=now))
        owners[connection_id] = entity_id
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('billing_entities', 'id'), "
                             "(SELECT MAX(id) FROM billing_entities))"))

    for table in ("invoices", "budgets"):
        _add_entity_column(table, index=True, value="1")
    with op.batch_alter_table('xero_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entity_id', sa.Integer(), nullable=True))
    for connection_id, entity_id in owners.items():
        bind.execute(sa.text("UPDATE xero_connections SET entity_id = :entity WHERE id = :id"),
                     {"entity": entity_id, "id": connection_id})
    with op.batch_alter_table('xero_connections', schema=None) as batch_op:
        batch_op.alter_column('entity_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_xero_connections_entity_id'), ['entity_id'])
        batch_op.create_foreign_key(batch_op.f('fk_xero_connections_entity_id_billing_entities'),
                                    'billing_entities', ['entity_id'], ['id'])
    # The settings row follows the organisation it was made for (the first entity's otherwise).
    _add_entity_column('xero_settings', index=False, ondelete='CASCADE', value=(
        "COALESCE((SELECT c.entity_id FROM xero_connections c WHERE c.tenant_id = xero_settings.tenant_id), 1)"))
    with op.batch_alter_table('xero_settings', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_xero_settings_entity_id'), ['entity_id'])
    for table in FIRST_ENTITY_TABLES:
        _add_entity_column(table, index=True, ondelete='CASCADE', value="1")
    with op.batch_alter_table('xero_service_type_accounts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_xero_service_type_accounts_service_type_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_xero_service_type_accounts_entity_id'),
                                          ['entity_id', 'service_type_id'])
    with op.batch_alter_table('xero_tax_rate_mappings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_xero_tax_rate_mappings_tax_rate_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_xero_tax_rate_mappings_entity_id'),
                                          ['entity_id', 'tax_rate_id'])

    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_entity_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_companies_default_entity_id_billing_entities'),
                                    'billing_entities', ['default_entity_id'], ['id'], ondelete='SET NULL')
    # A bulk copy is one job per entity (earlier jobs: None, the first entity's organisation).
    with op.batch_alter_table('xero_copy_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entity_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('selection_key', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_xero_copy_jobs_selection_key'), ['selection_key'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_xero_copy_jobs_entity_id_billing_entities'),
                                    'billing_entities', ['entity_id'], ['id'])
    with op.batch_alter_table('workspace_settings', schema=None) as batch_op:
        batch_op.drop_column('invoice_number_pattern')
        batch_op.drop_column('credit_note_number_pattern')
    op.drop_table('organisation')


def _add_entity_column(table: str, *, index: bool, value: str, ondelete: str | None = None) -> None:
    """Add entity_id to `table`, fill it with the SQL `value`, then make it required, with its key."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column('entity_id', sa.Integer(), nullable=True))
    op.execute(f"UPDATE {table} SET entity_id = {value}")
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column('entity_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f(f'fk_{table}_entity_id_billing_entities'),
                                    'billing_entities', ['entity_id'], ['id'], ondelete=ondelete)
        if index:
            batch_op.create_index(batch_op.f(f'ix_{table}_entity_id'), ['entity_id'], unique=False)


def downgrade():
    """Back to one organisation: the first entity's details and numbering; rows of other entities'
    organisations keep their data but lose which entity they were for."""
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('tax_number', sa.String(length=50), nullable=True),
    sa.Column('bank_details', sa.Text(), nullable=True),
    sa.Column('payment_terms', sa.Text(), nullable=True),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_type', sa.String(length=20), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation'))
    )
    with op.batch_alter_table('workspace_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_note_number_pattern', sa.String(length=60),
                                      server_default='CN-{year}-{seq:04}', nullable=False))
        batch_op.add_column(sa.Column('invoice_number_pattern', sa.String(length=60), nullable=True))
    op.execute("INSERT INTO organisation (id, name, address, tax_number, bank_details, payment_terms, logo, "
               "logo_type, updated_at) SELECT 1, name, address, tax_number, bank_details, payment_terms, logo, "
               "logo_type, updated_at FROM billing_entities WHERE id = (SELECT MIN(id) FROM billing_entities)")
    op.execute("UPDATE workspace_settings SET invoice_number_pattern = (SELECT invoice_number_pattern FROM "
               "billing_entities ORDER BY id LIMIT 1), credit_note_number_pattern = (SELECT "
               "credit_note_number_pattern FROM billing_entities ORDER BY id LIMIT 1)")
    op.execute("UPDATE workspace_settings SET invoice_number_pattern = '{year}-{seq:04}' "
               "WHERE invoice_number_pattern IS NULL")
    with op.batch_alter_table('workspace_settings', schema=None) as batch_op:
        batch_op.alter_column('invoice_number_pattern', existing_type=sa.String(length=60), nullable=False)
    with op.batch_alter_table('xero_copy_jobs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_xero_copy_jobs_entity_id_billing_entities'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_xero_copy_jobs_selection_key'))
        batch_op.drop_column('selection_key')
        batch_op.drop_column('entity_id')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_companies_default_entity_id_billing_entities'), type_='foreignkey')
        batch_op.drop_column('default_entity_id')
    # One organisation's mappings again: the first entity's.
    op.execute("DELETE FROM xero_service_type_accounts WHERE entity_id <> (SELECT MIN(id) FROM billing_entities)")
    op.execute("DELETE FROM xero_tax_rate_mappings WHERE entity_id <> (SELECT MIN(id) FROM billing_entities)")
    with op.batch_alter_table('xero_service_type_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_xero_service_type_accounts_entity_id'), type_='unique')
        batch_op.create_unique_constraint('uq_xero_service_type_accounts_service_type_id', ['service_type_id'])
    with op.batch_alter_table('xero_tax_rate_mappings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_xero_tax_rate_mappings_entity_id'), type_='unique')
        batch_op.create_unique_constraint('uq_xero_tax_rate_mappings_tax_rate_id', ['tax_rate_id'])
    for table in (*FIRST_ENTITY_TABLES, "invoices", "budgets"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_entity_id'))
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_entity_id_billing_entities'), type_='foreignkey')
            batch_op.drop_column('entity_id')
    with op.batch_alter_table('xero_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_xero_settings_entity_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_xero_settings_entity_id_billing_entities'), type_='foreignkey')
        batch_op.drop_column('entity_id')
    with op.batch_alter_table('xero_connections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_xero_connections_entity_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_xero_connections_entity_id_billing_entities'), type_='foreignkey')
        batch_op.drop_column('entity_id')
    op.drop_table('billing_entities')
