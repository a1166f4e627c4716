"""wiredesk's Parquet storage layer: schemas, atomic commits and readers."""

from warehouse.schemas import SCHEMA_VERSION, TABLES, TableSpec, empty
from warehouse.store import SchemaMismatch, Warehouse, WarehouseError, WarehouseLocked, conform

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "SchemaMismatch",
    "TableSpec",
    "Warehouse",
    "WarehouseError",
    "WarehouseLocked",
    "conform",
    "empty",
]
