"""The demo seeder: the Komi Republic, Vorkuta, one login per role; safe to re-run."""

import pytest
from django.core.management import call_command

from pfdo.accounts.demo import DEMO_LOGINS, DEMO_PASSWORD
from pfdo.accounts.models import Membership, User
from pfdo.audit.models import ActionLog
from pfdo.demo.seed import seed
from pfdo.territory.models import Municipality, Region


def counts():
    return (
        Region.objects.count(),
        Municipality.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        ActionLog.objects.count(),
    )


def test_seed_creates_komi_vorkuta_and_a_login_per_role(db):
    report = seed("small")
    assert report.municipality == "Воркута"
    komi = Region.objects.get(code="komi")
    assert komi.municipalities.count() == 20
    assert Municipality.objects.get(code="vorkuta").region == komi
    for demo in DEMO_LOGINS:
        user = User.objects.get(username=demo.username)
        assert user.check_password(DEMO_PASSWORD)
        assert not user.must_change_password
        if demo.role == "superuser":
            assert user.is_superuser
        else:
            assert user.home_role == demo.role


def test_second_run_duplicates_nothing_and_keeps_passwords(db):
    seed("small")
    parent = User.objects.get(username="parent")
    parent.set_password("Changed-By-Parent-1")
    parent.save()
    before = counts()
    report = seed("small")
    assert counts() == before
    assert not any(created for *_, created in report.logins)
    assert User.objects.get(username="parent").check_password("Changed-By-Parent-1")


def test_command_prints_logins_and_accepts_scales(db, capsys):
    call_command("seed_demo", "--scale", "city")
    out = capsys.readouterr().out
    assert "Воркута" in out and "city" in out
    for demo in DEMO_LOGINS:
        assert demo.username in out
    assert DEMO_PASSWORD in out


def test_unknown_scale_is_refused(db):
    with pytest.raises(ValueError):
        seed("galaxy")
