"""The duplicate search's hash key: its own setting, one key for the seed and the server, re-keying.

Scenario 16 of issue 12: `make run` seeded without SECRET_KEY and served with var/secret_key,
and the hash key fell back to the secret key, so a demo child applied for again was not found.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from pfdo.audit.models import ActionLog
from pfdo.certificates import services
from pfdo.certificates.models import CertificateApplication, Child
from pfdo.certificates.tests.factories import approved_period, child_data, issue_certificate
from pfdo.certificates.validators import pd_hash
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.demo.certificates import ANNA

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(dt.date(2026, 11, 28)):
        yield


@pytest.fixture
def parent(vorkuta):
    return services.register_parent(
        actor=None,
        municipality=vorkuta,
        last_name="Иванова",
        first_name="Мария",
        email="maria@example.org",
    )


def _resolved(var_dir: Path, **env) -> tuple[str, str]:
    """(the hash key, the hash of ANNA's СНИЛС) as a fresh process with `env` resolves them."""
    full = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "PFDO_ENV", "PFDO_PD_HASH_KEY"}
    }
    full.update(env, PFDO_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings")
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "from pfdo.certificates.validators import pd_hash; "
        f"print(settings.PFDO_PD_HASH_KEY or '-'); print(pd_hash('snils', {ANNA['snils']!r}))"
    )
    done = subprocess.run(  # noqa: S603  (this interpreter, a fixed script)
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    key, digest = done.stdout.split()
    return key, digest


def test_year_16_duplicate_child_found_after_restart(tmp_path, vorkuta, operator, parent):
    # `make run`: the seed runs with neither DEBUG nor SECRET_KEY, the server with DEBUG=0 and
    # the generated var/secret_key. Both must hash with one key, generated once in var/.
    seed_key, seed_hash = _resolved(tmp_path)
    serve_key, serve_hash = _resolved(tmp_path, DEBUG="0", SECRET_KEY="s" * 50)
    assert seed_hash == serve_hash
    assert seed_key == serve_key == (tmp_path / "pd_hash_key").read_text().strip()
    assert (tmp_path / "pd_hash_key").stat().st_mode & 0o077 == 0
    # Not derived from the secret key: another secret key, the same hash.
    assert _resolved(tmp_path, DEBUG="0", SECRET_KEY="t" * 50)[1] == serve_hash

    approved_period(vorkuta)
    anna = {k: ANNA[k] for k in child_data()}
    with override_settings(PFDO_PD_HASH_KEY=seed_key):  # seeded: a financing certificate
        issue_certificate(operator=operator, municipality=vorkuta, parent=parent, **anna)
    assert Child.objects.get().snils_hash == seed_hash
    # Served: an anonymous application for the same child is found to be a duplicate (it is
    # filed flagged for the operator: the public form answers everyone alike).
    with override_settings(PFDO_PD_HASH_KEY=serve_key):
        services.register_and_apply(
            municipality=vorkuta,
            parent_last_name="Петрова",
            parent_first_name="Ольга",
            email="olga@example.org",
            child=anna,
        )
    flagged = CertificateApplication.objects.get(parent__email="olga@example.org")
    assert "уже имеет сертификат" in flagged.duplicate_reason
    assert "совпадает СНИЛС" in flagged.duplicate_reason


def test_year_16_rekey_command(vorkuta, operator, parent):
    approved_period(vorkuta)
    with override_settings(PFDO_PD_HASH_KEY="old-key"):
        issued = issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
        other = issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
        # A corrected СНИЛС: the history keeps the former number's hash, not the number.
        child = Child.objects.get(pk=other.certificate.child_id)
        former_hash = child.snils_hash
        child.snils = child_data()["snils"].replace("-", "").replace(" ", "")
        child.snils_hash = pd_hash("snils", child.snils)
        child.save()
    first = Child.objects.get(pk=issued.certificate.child_id)
    history = Child.history.model
    rows = history.objects.count()
    former = history.objects.filter(snils_hash=former_hash).count()
    assert former >= 1

    with override_settings(PFDO_PD_HASH_KEY="new-key"):
        # Under the new key nothing stored is found until the hashes are re-keyed.
        assert not Child.objects.filter(snils_hash=pd_hash("snils", first.snils)).exists()
        dry = StringIO()
        call_command("rekey_pd_hashes", "--dry-run", stdout=dry)
        assert "Детей: 2, будет пересчитано: 2." in dry.getvalue()
        assert not Child.objects.filter(snils_hash=pd_hash("snils", first.snils)).exists()

        out = StringIO()
        call_command("rekey_pd_hashes", stdout=out)
        assert out.getvalue().strip() == (
            f"Детей: 2, пересчитано: 2. Записей истории: {rows}, пересчитано: {rows - former}, "
            f"очищено (прежние номера под старым ключом): {former}."
        )
        for child in Child.objects.all():
            assert child.snils_hash == pd_hash("snils", child.snils)
            assert child.document_hash == pd_hash("document", child.document_number)
            assert set(
                history.objects.filter(id=child.pk).values_list("snils_hash", flat=True)
            ) <= {child.snils_hash, ""}
        assert not history.objects.filter(snils_hash=former_hash).exists()
        log = ActionLog.objects.get(action="certificates.pd_hashes_rekeyed")
        assert log.details["children_changed"] == 2 and log.details["history_cleared"] == former

        # Found again: the same child applied for a second time is refused as a duplicate.
        with pytest.raises(Conflict) as refused:
            services.apply_for_certificate(
                actor=parent,
                municipality=vorkuta,
                parent=parent,
                child=child_data(snils=first.snils),
            )
        assert refused.value.code == "duplicate_child"

        again = StringIO()
        call_command("rekey_pd_hashes", stdout=again)  # idempotent
        assert ActionLog.objects.filter(action="certificates.pd_hashes_rekeyed").count() == 1
        assert again.getvalue().strip() == (
            f"Детей: 2, пересчитано: 0. Записей истории: {rows}, пересчитано: 0, "
            "очищено (прежние номера под старым ключом): 0."
        )
