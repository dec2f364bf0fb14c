"""The record of provider look-ups is append-only in the database too, as the audit tables.

PostgreSQL refuses UPDATE and DELETE with the audit app's trigger function; SQLite refuses
UPDATE only (its test flush deletes rows). See audit/migrations/0002_append_only_triggers.py.
"""

from django.db import migrations

TABLE = "enrolment_certificatelookup"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE ON {TABLE} "
            "BEGIN SELECT RAISE(ABORT, 'look-up rows are append-only'); END;"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only;")


class Migration(migrations.Migration):
    dependencies = [
        ("enrolment", "0004_certificate_lookup_record"),
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
