"""Pages of the catalogue: `public` (anyone) and `manage` (provider, expert, operator)."""
