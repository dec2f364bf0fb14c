"""API building blocks shared by every app: error body, pagination, schema, scoping."""
