"""xero currencies: the organisation's enabled currencies, cached with accounts and tax rates

Revision ID: f2b116600001
Revises: 5c715b1b000e
Create Date: 2026-12-07 06:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2b116600001'
down_revision = '5c715b1b000e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('xero_currencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('description', sa.String(length=150), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_currencies')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_xero_currencies_tenant_id'))
    )
    with op.batch_alter_table('xero_currencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_currencies_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('xero_currencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xero_currencies_tenant_id'))

    op.drop_table('xero_currencies')
