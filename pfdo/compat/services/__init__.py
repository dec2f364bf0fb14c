"""What the compatibility app writes: the table of old ПФДО programme ids (aliases)."""
