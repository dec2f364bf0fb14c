"""Read-only figures, one module per dashboard section; every function takes `Filters`."""
