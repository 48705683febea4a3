"""Expenses as Xero bills: the bill's total on the expense, the tax type for bills

Revision ID: e6b111500001
Revises: 47d69221e64a
Create Date: 2026-11-25 13:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = "e6b111500001"
down_revision = "47d69221e64a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bill_total", sa.Numeric(precision=14, scale=2), nullable=True))
    with op.batch_alter_table("xero_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expense_tax_type", sa.String(length=50), nullable=True))


def downgrade():
    with op.batch_alter_table("xero_settings", schema=None) as batch_op:
        batch_op.drop_column("expense_tax_type")
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.drop_column("bill_total")
