"""book reading: the book's facts read off its pages and voted (issue #14)

Revision ID: 0005_s14b_book_reading
Revises: 0004
Create Date: 2026-12-05 16:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005_s14b_book_reading'
down_revision = '0005_s14a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('ledgers', sa.Column('book_reading', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ledgers') as batch:
        batch.drop_column('book_reading')
