"""record name keys: people's names folded for search (no accents, any case), with birth dates

Revision ID: 0005_s14a
Revises: 0004
Create Date: 2026-12-05 16:00:00.000000
"""
from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

from ocr_service.records.search_keys import BIRTH_SUFFIX, NAME_SUFFIX, name_keys

revision = '0005_s14a'
down_revision = '0004'
branch_labels = None
depends_on = None

BATCH = 2000  # rows inserted per statement while back-filling


def _key_type() -> sa.types.TypeEngine[str]:
    return sa.String(length=120).with_variant(sa.String(length=120, collation='C'), 'postgresql')


def _name_fields(conn: sa.engine.Connection) -> Iterator[tuple[str, dict[str, str | None]]]:
    """(record id, {code: value}) for every record with a name, from its name and birth fields."""
    fields = sa.table(
        'record_fields', sa.column('record_id', sa.String), sa.column('code', sa.String),
        sa.column('value', sa.Text),
    )
    rows = conn.execute(
        sa.select(fields.c.record_id, fields.c.code, fields.c.value)
        .where(
            sa.or_(
                fields.c.code.like(f'%{NAME_SUFFIX}'), fields.c.code.like(f'%{BIRTH_SUFFIX}')
            )
        )
        .order_by(fields.c.record_id)
    )
    current: str | None = None
    values: dict[str, str | None] = {}
    for record_id, code, value in rows:
        if record_id != current:
            if current is not None:
                yield current, values
            current, values = record_id, {}
        values[code] = value
    if current is not None:
        yield current, values


def upgrade() -> None:
    op.create_table(
        'record_name_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.String(length=32), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('key', _key_type(), nullable=False),
        sa.Column('birth_year', sa.Integer(), nullable=True),
        sa.Column('birth_date', sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        op.f('ix_record_name_keys_record_id'), 'record_name_keys', ['record_id'], unique=False
    )
    op.create_index(op.f('ix_record_name_keys_key'), 'record_name_keys', ['key'], unique=False)

    # Back-fill the records already read, in batches.
    conn = op.get_bind()
    table = sa.table(
        'record_name_keys', sa.column('record_id', sa.String), sa.column('code', sa.String),
        sa.column('key', sa.String), sa.column('birth_year', sa.Integer),
        sa.column('birth_date', sa.String),
    )
    batch: list[dict[str, object]] = []
    for record_id, values in _name_fields(conn):
        for k in name_keys(values):
            batch.append(
                {'record_id': record_id, 'code': k.code, 'key': k.key,
                 'birth_year': k.birth_year, 'birth_date': k.birth_date}
            )
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)


def downgrade() -> None:
    op.drop_index(op.f('ix_record_name_keys_key'), table_name='record_name_keys')
    op.drop_index(op.f('ix_record_name_keys_record_id'), table_name='record_name_keys')
    op.drop_table('record_name_keys')
