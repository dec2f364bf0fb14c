# The status columns become django-fsm-2 fields so transitions are declared on the models.
# FSMField is a CharField: the columns stay varchar(16) with the same default, so only the
# migration state changes and no SQL runs (on SQLite a plain AlterField would rebuild tables).

from django.db import migrations, models

CERTIFICATE = [
    ("active", "действует"),
    ("suspended", "приостановлен"),
    ("cancelled", "аннулирован"),
    ("expired", "истёк (18 лет)"),
]
APPLICATION = [
    ("applied", "подано"),
    ("verified", "проверено"),
    ("approved", "одобрено, сертификат выдан"),
    ("rejected", "отклонено"),
]
SWITCH = [
    ("waiting", "ожидает места в квоте"),
    ("fulfilled", "выполнен"),
    ("withdrawn", "отозван"),
    ("rejected", "отклонён"),
]


def _status(model_name, choices, default):
    return migrations.AlterField(
        model_name=model_name,
        name="status",
        field=models.CharField(
            choices=choices, default=default, max_length=16, verbose_name="статус"
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                _status("certificate", CERTIFICATE, "active"),
                _status("certificateapplication", APPLICATION, "applied"),
                _status("historicalcertificate", CERTIFICATE, "active"),
                _status("historicalcertificateapplication", APPLICATION, "applied"),
                _status("switchrequest", SWITCH, "waiting"),
            ],
        )
    ]
