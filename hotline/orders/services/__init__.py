"""Writes of orders, by sub-domain: ``transitions`` (the one way to change a
status), ``entry`` (taking an order, ORD-1) and ``review`` (ORD-4)."""
