"""stock_movements: the ledger of every stock change

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("product_id", postgresql.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("order_id", postgresql.UUID(as_uuid=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint(
            "reason IN ('initial', 'admin', 'reserve', 'release')", name="stock_movement_reason"
        ),
    )
    # Products from before the ledger start from the stock they have now.
    op.execute(
        "INSERT INTO stock_movements (product_id, delta, reason) "
        "SELECT id, stock, 'initial' FROM products"
    )


def downgrade() -> None:
    op.drop_table("stock_movements")
