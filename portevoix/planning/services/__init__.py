"""Writes of the content plan, one module per area."""
