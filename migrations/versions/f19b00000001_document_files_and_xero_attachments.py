"""document files and xero attachments: invoices' supporting files, expenses' receipts, and
each upload of one to a Xero document

Revision ID: f19b00000001
Revises: f19a00000001
Create Date: 2026-12-08 10:00:00

Two new tables, empty for every existing workspace; the files' bytes live under
ATTACHMENTS_FOLDER, not in the database.
"""
import sqlalchemy as sa
from alembic import op

revision = 'f19b00000001'
down_revision = 'f19a00000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'document_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=True),
        sa.Column('expense_id', sa.Integer(), nullable=True),
        sa.Column('file_name', sa.String(length=120), nullable=False),
        sa.Column('stored_name', sa.String(length=80), nullable=False),
        sa.Column('mime_type', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('include_online', sa.Boolean(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('(invoice_id IS NULL) <> (expense_id IS NULL)', name='file_of_one_document'),
        sa.ForeignKeyConstraint(['expense_id'], ['expenses.id']),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id']),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('stored_name'),
        sa.UniqueConstraint('invoice_id', 'file_name', name='one_name_per_invoice'),
        sa.UniqueConstraint('expense_id', 'file_name', name='one_name_per_expense'),
    )
    with op.batch_alter_table('document_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_files_expense_id'), ['expense_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_files_invoice_id'), ['invoice_id'], unique=False)
    op.create_table(
        'xero_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.String(length=36), nullable=False),
        sa.Column('xero_id', sa.String(length=36), nullable=False),
        sa.Column('attempt_key', sa.String(length=100), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('include_online', sa.Boolean(), nullable=False),
        sa.Column('file_name', sa.String(length=120), nullable=False),
        sa.Column('xero_attachment_id', sa.String(length=36), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['file_id'], ['document_files.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('attempt_key'),
        sa.UniqueConstraint('file_id', 'tenant_id', 'xero_id', name='one_upload_per_document'),
    )
    with op.batch_alter_table('xero_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_attachments_file_id'), ['file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_xero_attachments_xero_id'), ['xero_id'], unique=False)


def downgrade():
    with op.batch_alter_table('xero_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xero_attachments_xero_id'))
        batch_op.drop_index(batch_op.f('ix_xero_attachments_file_id'))
    op.drop_table('xero_attachments')
    with op.batch_alter_table('document_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_files_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_document_files_expense_id'))
    op.drop_table('document_files')
