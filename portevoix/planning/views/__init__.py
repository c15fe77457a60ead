"""Pages of the content plan, one module per area."""
