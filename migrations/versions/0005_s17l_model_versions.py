"""model versions: recogniser versions trained from corrections, and training state per scope

Revision ID: 0005_s17l
Revises: 0005_s14a
Create Date: 2026-12-05 16:30:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005_s17l'
down_revision = '0005_s15s3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'model_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('base_sha256', sa.String(length=64), nullable=True),
        sa.Column('scope_kind', sa.String(length=16), nullable=False),
        sa.Column('scope_key', sa.String(length=200), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('metrics', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('activated_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['activated_by'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_model_versions_sha256'), 'model_versions', ['sha256'], unique=False)
    op.create_index(
        'ix_model_versions_scope', 'model_versions', ['scope_kind', 'scope_key', 'state'],
        unique=False,
    )
    op.create_index(
        'uq_model_versions_active', 'model_versions', ['scope_kind', 'scope_key'], unique=True,
        postgresql_where=sa.text("state = 'active'"), sqlite_where=sa.text("state = 'active'"),
    )
    op.create_table(
        'train_scopes',
        sa.Column('scope_kind', sa.String(length=16), nullable=False),
        sa.Column('scope_key', sa.String(length=200), nullable=False),
        sa.Column('trained_fields', sa.Integer(), nullable=False),
        sa.Column('queued', sa.Boolean(), nullable=False),
        sa.Column('claim_token', sa.String(length=32), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('scope_kind', 'scope_key'),
    )


def downgrade() -> None:
    op.drop_table('train_scopes')
    op.drop_index('uq_model_versions_active', table_name='model_versions')
    op.drop_index('ix_model_versions_scope', table_name='model_versions')
    op.drop_index(op.f('ix_model_versions_sha256'), table_name='model_versions')
    op.drop_table('model_versions')
