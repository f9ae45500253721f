"""data versions for cached answers (docs/caching.md)

Revision ID: 0004_cache
Revises: 0003_outside
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0004_cache"
down_revision = "0003_outside"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "data_versions",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_data_versions")),
    )
    # A random token per scope up front: a write then only UPDATEs its rows, and a new
    # database never reuses the cache keys of another one.
    from reedsailing.core.versions import all_scopes

    op.bulk_insert(table, [{"scope": scope, "version": uuid.uuid4().hex} for scope in all_scopes()])


def downgrade():
    op.drop_table("data_versions")
