"""The public enrolment check's key on the child's card, filled for the children already there.

`check_hash` is a keyed hash of the surname, the first name and the last 4 digits of the
child's document (`validators.child_check_hash`); the raw document number stays where it was
(the operator's card) and is not copied anywhere. Not kept in the card's history: a former
name's hash would only be one more thing to re-key.
"""

from django.db import migrations, models

_CHUNK = 2_000


def backfill(apps, schema_editor):
    from pfdo.certificates.validators import child_check_hash

    Child = apps.get_model("certificates", "Child")
    changed = []
    for child in (
        Child.objects.order_by("pk")
        .only("pk", "last_name", "first_name", "document_number")
        .iterator(chunk_size=_CHUNK)
    ):
        child.check_hash = child_check_hash(child)
        changed.append(child)
        if len(changed) >= _CHUNK:
            Child.objects.bulk_update(changed, ["check_hash"])
            changed = []
    if changed:
        Child.objects.bulk_update(changed, ["check_hash"])


class Migration(migrations.Migration):
    dependencies = [("certificates", "0003_application_duplicate_reason")]

    operations = [
        migrations.AddField(
            model_name="child",
            name="check_hash",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
