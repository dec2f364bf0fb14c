"""The bound of an id."""

# The largest id a BIGINT holds; a larger number would overflow the database driver. The one
# bound for every id the API and the filters take: import it (here or from
# pfdo.common.api.query), do not repeat the literal.
MAX_ID = 2**63 - 1
