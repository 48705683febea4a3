"""bulk copy of credit notes: a bulk copy job says what it copies (invoices, or credit notes)

Revision ID: f20b00000001
Revises: f20a00000001
Create Date: 2026-12-07 21:10:00

Every existing job copied invoices: the column's default says so.
"""
import sqlalchemy as sa
from alembic import op

revision = 'f20b00000001'
down_revision = 'f20a00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('xero_copy_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='invoice', nullable=False))


def downgrade():
    op.execute("DELETE FROM xero_copies WHERE job_id IN (SELECT id FROM xero_copy_jobs WHERE kind = 'credit_note')")
    op.execute("DELETE FROM xero_copy_jobs WHERE kind = 'credit_note'")
    with op.batch_alter_table('xero_copy_jobs', schema=None) as batch_op:
        batch_op.drop_column('kind')
