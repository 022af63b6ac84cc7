"""page OCR provenance: the engine, effective OCR settings and model versions of a reading

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 13:10:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: pages read before this revision have no record of what read them.
    with op.batch_alter_table('page_ocr', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provenance', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('page_ocr', schema=None) as batch_op:
        batch_op.drop_column('provenance')
