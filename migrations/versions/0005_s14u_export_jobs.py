"""export jobs: a ledger's export run as a job, with its progress and its stored file

Revision ID: 0005_s14u_export_jobs
Revises: 0004
Create Date: 2026-12-05 16:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005_s14u_export_jobs'
down_revision = '0005_s14b_book_reading'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'export_jobs',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('ledger_id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('format', sa.String(length=16), nullable=False),
        sa.Column('include_drafts', sa.Boolean(), nullable=False),
        sa.Column('variant', sa.String(length=64), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('records_done', sa.Integer(), nullable=False),
        sa.Column('records_total', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('storage_key', sa.String(length=300), nullable=True),
        sa.Column('filename', sa.String(length=255), nullable=True),
        sa.Column('media_type', sa.String(length=100), nullable=True),
        sa.Column('size', sa.BigInteger(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['ledger_id'], ['ledgers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_export_jobs_ledger', 'export_jobs', ['ledger_id', 'created_at'])
    op.create_index('ix_export_jobs_status', 'export_jobs', ['status'])


def downgrade() -> None:
    op.drop_index('ix_export_jobs_status', table_name='export_jobs')
    op.drop_index('ix_export_jobs_ledger', table_name='export_jobs')
    op.drop_table('export_jobs')
