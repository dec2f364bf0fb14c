"""Full-text index of providers' names (PostgreSQL only; SQLite matches names plainly).

The catalogue's text search also finds programmes by their provider's name
(`pfdo.catalog.search.matching_provider_ids`). The indexed expression must stay identical to
`pfdo.catalog.search.provider_vector()`, i.e. `SearchVector("short_name", "full_name",
config="russian")`, or the planner will not use it (a test checks it with EXPLAIN).
"""

from django.db import migrations

INDEX = "providers_provider_name_search_ru"
EXPRESSION = (
    "to_tsvector('russian'::regconfig, COALESCE(short_name, '') || ' ' || COALESCE(full_name, ''))"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON providers_provider USING gin ({EXPRESSION})",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}", params=None)


class Migration(migrations.Migration):
    dependencies = [("providers", "0004_bank_details_change")]

    operations = [migrations.RunPython(forwards, backwards)]
