"""wiredesk's Parquet storage layer: schemas, atomic commits and readers."""

from warehouse.schemas import SCHEMA_VERSION, TABLES, TableSpec, empty
from warehouse.store import (
    SchemaMismatch,
    Snapshot,
    Warehouse,
    WarehouseError,
    WarehouseLocked,
    conform,
)

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "SchemaMismatch",
    "Snapshot",
    "TableSpec",
    "Warehouse",
    "WarehouseError",
    "WarehouseLocked",
    "conform",
    "empty",
    "warehouse",
]


def __getattr__(name: str):
    """Import the pandas reader `warehouse.warehouse(root)` on first use (it loads DuckDB)."""
    if name == "warehouse":
        from warehouse.query import warehouse

        return warehouse
    raise AttributeError(name)
