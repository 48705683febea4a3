"""getting started hidden: workspace_settings.getting_started_hidden_at

Revision ID: f17b0e000001
Revises: f16a00000001
Create Date: 2026-12-08 09:00:00

When an admin hid the home page's "Getting started"; empty for every existing workspace, so
it shows until its steps are done or it is hidden.
"""
import sqlalchemy as sa
from alembic import op

revision = 'f17b0e000001'
down_revision = 'f16a00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workspace_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('getting_started_hidden_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('workspace_settings', schema=None) as batch_op:
        batch_op.drop_column('getting_started_hidden_at')
