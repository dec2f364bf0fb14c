"""Full-text search index of programmes (PostgreSQL only; SQLite searches by plain match).

The indexed expression must stay identical to the one queries use
(`pfdo.catalog.search.search_vector()`, i.e. `SearchVector("name", "description",
config="russian")`), or the planner will not use the index. test_search checks it with EXPLAIN.
"""

from django.db import migrations

INDEX = "catalog_program_search_ru"
EXPRESSION = (
    "to_tsvector('russian'::regconfig, COALESCE(name, '') || ' ' || COALESCE(description, ''))"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_program USING gin ({EXPRESSION})",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}", params=None)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
