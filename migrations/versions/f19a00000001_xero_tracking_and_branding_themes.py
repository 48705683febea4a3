"""xero tracking and branding themes: Xero's tracking categories, options and branding themes
cached per organisation, the tracking mappings, and the default theme of copies

Revision ID: f19a00000001
Revises: f17b0e000001
Create Date: 2026-12-07 18:00:00

Every existing workspace starts with no tracking mapped and Xero's default theme (nothing
changes in what it sends); the cache fills at the next Refresh from Xero.
"""
import sqlalchemy as sa
from alembic import op

revision = 'f19a00000001'
down_revision = 'f17b0e000001'
branch_labels = None
depends_on = None


def _read_from_xero(name: str, *columns):
    op.create_table(name,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    *columns,
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{name}_tenant_id'), ['tenant_id'], unique=False)


def upgrade():
    _read_from_xero('xero_tracking_categories',
                    sa.Column('category_id', sa.String(length=36), nullable=False),
                    sa.UniqueConstraint('tenant_id', 'category_id', name=op.f('uq_xero_tracking_categories_tenant_id')))
    _read_from_xero('xero_tracking_options',
                    sa.Column('category_id', sa.String(length=36), nullable=False),
                    sa.Column('option_id', sa.String(length=36), nullable=False),
                    sa.UniqueConstraint('tenant_id', 'option_id', name=op.f('uq_xero_tracking_options_tenant_id')))
    with op.batch_alter_table('xero_tracking_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_tracking_options_category_id'), ['category_id'], unique=False)
    op.create_table('xero_branding_themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('theme_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_branding_themes')),
    sa.UniqueConstraint('tenant_id', 'theme_id', name=op.f('uq_xero_branding_themes_tenant_id'))
    )
    with op.batch_alter_table('xero_branding_themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_branding_themes_tenant_id'), ['tenant_id'], unique=False)
    op.create_table('xero_tracking_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.String(length=36), nullable=False),
    sa.Column('category_name', sa.String(length=150), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('custom_field_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("source IN ('custom_field', 'service_type', 'client', 'budget')",
                       name=op.f('ck_xero_tracking_mappings_source_known')),
    sa.ForeignKeyConstraint(['custom_field_id'], ['custom_fields.id'],
                            name=op.f('fk_xero_tracking_mappings_custom_field_id_custom_fields'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_tracking_mappings')),
    sa.UniqueConstraint('category_id', name=op.f('uq_xero_tracking_mappings_category_id'))
    )
    op.create_table('xero_tracking_option_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mapping_id', sa.Integer(), nullable=False),
    sa.Column('bridge_value', sa.String(length=255), nullable=False),
    sa.Column('option_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['mapping_id'], ['xero_tracking_mappings.id'],
                            name=op.f('fk_xero_tracking_option_mappings_mapping_id_xero_tracking_mappings'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_tracking_option_mappings')),
    sa.UniqueConstraint('mapping_id', 'bridge_value', name=op.f('uq_xero_tracking_option_mappings_mapping_id'))
    )
    with op.batch_alter_table('xero_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('branding_theme_id', sa.String(length=36), nullable=True))


def downgrade():
    with op.batch_alter_table('xero_settings', schema=None) as batch_op:
        batch_op.drop_column('branding_theme_id')
    op.drop_table('xero_tracking_option_mappings')
    op.drop_table('xero_tracking_mappings')
    for name in ('xero_branding_themes', 'xero_tracking_options', 'xero_tracking_categories'):
        with op.batch_alter_table(name, schema=None) as batch_op:
            if name == 'xero_tracking_options':
                batch_op.drop_index(batch_op.f('ix_xero_tracking_options_category_id'))
            batch_op.drop_index(batch_op.f(f'ix_{name}_tenant_id'))
        op.drop_table(name)
