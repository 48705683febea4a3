"""credit notes: Bridge's credit notes and their lines, their copies in Xero (xero_copies,
xero_documents and xero_activity rows may be about a credit note), their own number pattern,
and the payment sync's cursor for credit notes changed in Xero

Revision ID: f20a00000001
Revises: f19b00000001
Create Date: 2026-12-07 18:30:00

Existing rows are about an invoice or an expense and keep satisfying the one-document checks,
which now allow a credit note as the third kind.
"""
import sqlalchemy as sa
from alembic import op

revision = 'f20a00000001'
down_revision = 'f19b00000001'
branch_labels = None
depends_on = None

ONE_OF_THREE = ("(CASE WHEN invoice_id IS NULL THEN 0 ELSE 1 END + CASE WHEN expense_id IS NULL "
                "THEN 0 ELSE 1 END + CASE WHEN credit_note_id IS NULL THEN 0 ELSE 1 END) = 1")
ONE_OF_TWO = '(invoice_id IS NULL) <> (expense_id IS NULL)'
MONEY = sa.Numeric(precision=14, scale=2)


def upgrade():
    op.create_table('credit_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('subtotal', MONEY, nullable=False),
    sa.Column('tax_total', MONEY, nullable=False),
    sa.Column('total', MONEY, nullable=False),
    sa.Column('xero_number', sa.String(length=255), nullable=True),
    sa.Column('xero_status', sa.String(length=20), nullable=True),
    sa.Column('xero_total', MONEY, nullable=True),
    sa.Column('xero_allocated', MONEY, nullable=True),
    sa.Column('xero_refunded', MONEY, nullable=True),
    sa.Column('xero_remaining', MONEY, nullable=True),
    sa.Column('allocation_state', sa.String(length=10), server_default='none', nullable=False),
    sa.Column('allocation_id', sa.String(length=36), nullable=True),
    sa.Column('allocation_key', sa.String(length=140), nullable=True),
    sa.Column('allocation_error', sa.Text(), nullable=True),
    sa.Column('copied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_credit_notes_created_by_id_users')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_credit_notes_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_notes')),
    sa.UniqueConstraint('number', name=op.f('uq_credit_notes_number'))
    )
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_notes_invoice_id'), ['invoice_id'], unique=False)
    op.create_table('credit_note_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_note_id', sa.Integer(), nullable=False),
    sa.Column('invoice_line_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('unit_price', MONEY, nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('service_type_id', sa.Integer(), nullable=True),
    sa.Column('tax_rate_id', sa.Integer(), nullable=True),
    sa.Column('net_amount', MONEY, nullable=False),
    sa.Column('tax_amount', MONEY, nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_credit_note_lines_cn_quantity_not_negative')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_credit_note_lines_cn_unit_price_not_negative')),
    sa.ForeignKeyConstraint(['credit_note_id'], ['credit_notes.id'], name=op.f('fk_credit_note_lines_credit_note_id_credit_notes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_line_id'], ['invoice_lines.id'], name=op.f('fk_credit_note_lines_invoice_line_id_invoice_lines'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_type_id'], ['service_types.id'], name=op.f('fk_credit_note_lines_service_type_id_service_types')),
    sa.ForeignKeyConstraint(['tax_rate_id'], ['tax_rates.id'], name=op.f('fk_credit_note_lines_tax_rate_id_tax_rates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_note_lines'))
    )
    with op.batch_alter_table('credit_note_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_note_lines_credit_note_id'), ['credit_note_id'], unique=False)
    for table, check in (('xero_copies', 'one_document'), ('xero_documents', 'one_bridge_document')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('credit_note_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_credit_note_id'), ['credit_note_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_credit_note_id_credit_notes'), 'credit_notes', ['credit_note_id'], ['id'])
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_{check}'), type_='check')
            batch_op.create_check_constraint(batch_op.f(f'ck_{table}_{check}'), ONE_OF_THREE)
    with op.batch_alter_table('xero_activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_note_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_xero_activity_credit_note_id'), ['credit_note_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_xero_activity_credit_note_id_credit_notes'), 'credit_notes', ['credit_note_id'], ['id'])
    with op.batch_alter_table('workspace_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_note_number_pattern', sa.String(length=60),
                                      server_default='CN-{year}-{seq:04}', nullable=False))
    with op.batch_alter_table('xero_sync_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_notes_cursor', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('xero_sync_states', schema=None) as batch_op:
        batch_op.drop_column('credit_notes_cursor')
    with op.batch_alter_table('workspace_settings', schema=None) as batch_op:
        batch_op.drop_column('credit_note_number_pattern')
    with op.batch_alter_table('xero_activity', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_xero_activity_credit_note_id_credit_notes'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_xero_activity_credit_note_id'))
        batch_op.drop_column('credit_note_id')
    for table, check in (('xero_copies', 'one_document'), ('xero_documents', 'one_bridge_document')):
        op.execute(f'DELETE FROM {table} WHERE credit_note_id IS NOT NULL')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_{check}'), type_='check')
            batch_op.create_check_constraint(batch_op.f(f'ck_{table}_{check}'), ONE_OF_TWO)
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_credit_note_id_credit_notes'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_credit_note_id'))
            batch_op.drop_column('credit_note_id')
    with op.batch_alter_table('credit_note_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_note_lines_credit_note_id'))
    op.drop_table('credit_note_lines')
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_notes_invoice_id'))
    op.drop_table('credit_notes')
