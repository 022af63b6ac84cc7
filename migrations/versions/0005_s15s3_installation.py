"""installation: one row naming this installation, so a worker can tell its database is the
one the jobs came from (a worker left on its default SQLite is refused, not silently idle)

Revision ID: 0005_s15s3
Revises: 0004
Create Date: 2026-12-05 16:00:00.000000
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


revision = '0005_s15s3'
down_revision = '0005_s14u_export_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'installation',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(table, [{'id': uuid.uuid4().hex, 'created_at': datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table('installation')
