"""Writes of the inventory, by sub-domain: ``stock`` (the ledger),
``warehouses`` (warehouses, suppliers, reorder levels), ``purchasing`` and
``stocktakes``."""
