"""What the compatibility app writes, one module per use case: the table of old ПФДО programme
ids (aliases) and the public enrolment check's verifications (verification)."""
