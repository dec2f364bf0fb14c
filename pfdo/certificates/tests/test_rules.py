"""Every certificates rule through has_perm(user, obj) on real objects, for every role
(the `rules` 3.5 pin relies on object permissions working on this Django)."""

# ruff: noqa: F811  (fixtures are imported from the access matrix and requested by name)

from __future__ import annotations

import pytest

from pfdo.certificates.rules import is_guardian_of, manages_municipality, manages_object
from pfdo.certificates.tests.test_access_matrix import (  # noqa: F401  (fixtures)
    ROLES,
    _today,
    _world,
    world,
)

pytestmark = pytest.mark.django_db

OFFICIALS = {"operator", "regional_admin", "superuser"}
SIGNED_IN = set(ROLES) - {"anonymous"}


def _same(objects, roles) -> dict:
    return {obj: set(roles) for obj in objects}


# perm → {object → roles that hold it on family A's object}; None: the class-level check.
MATRIX = {
    "certificates.view": _same((None, "child", "application", "certificate"), SIGNED_IN),
    "certificates.apply": _same(
        (None, "child"), {"parent_a", "parent_b", "operator", "other_operator", "regional_admin"}
    ),
    "certificates.manage": {
        None: {"operator", "other_operator", "regional_admin"},
        "child": {"operator", "regional_admin"},
        "application": {"operator", "regional_admin"},
        "certificate": {"operator", "regional_admin"},
    },
    "certificates.request_switch": {
        None: {"parent_a", "parent_b", "operator", "other_operator", "regional_admin"},
        "certificate": {"parent_a", "operator", "regional_admin"},
        "child": {"parent_a", "operator", "regional_admin"},
    },
    "certificates.lookup": _same(
        (None, "certificate"), {"staff", "operator", "other_operator", "regional_admin"}
    ),
    # Officials' look-up by number alone (staff need the surname: enrolment's service).
    "certificates.look_up_registry": _same(
        (None, "certificate"), {"operator", "other_operator", "regional_admin"}
    ),
}

CASES = [
    (perm, obj, role)
    for perm, by_object in sorted(MATRIX.items())
    for obj in by_object
    for role in ROLES
]


def _obj(world, name):
    return None if name is None else getattr(world, name)


@pytest.mark.parametrize(("perm", "obj", "role"), CASES)
def test_has_perm_matrix(world, perm, obj, role):
    user = getattr(world, role)
    # Django answers every permission of an active superuser with yes.
    expected = role in MATRIX[perm][obj] | {"superuser"}
    assert user.has_perm(perm, _obj(world, obj)) is expected


def test_another_familys_objects(world):
    """Parent B holds no object permission on A's certificate; A none on B's."""
    assert not world.parent_b.has_perm("certificates.request_switch", world.certificate)
    assert not world.parent_a.has_perm("certificates.request_switch", world.certificate_b)
    assert world.parent_b.has_perm("certificates.request_switch", world.certificate_b)


def test_predicates_directly(world):
    vorkuta = world.certificate.municipality
    assert manages_municipality(world.operator, vorkuta)
    assert manages_municipality(world.regional_admin, vorkuta)
    assert not manages_municipality(world.other_operator, vorkuta)
    assert not manages_municipality(world.anonymous, vorkuta)
    assert not manages_municipality(world.operator, None)
    assert manages_object(world.operator, world.application)
    assert not manages_object(world.payer, world.application)
    assert is_guardian_of(world.parent_a, world.child)
    assert is_guardian_of(world.parent_a, world.application)
    assert not is_guardian_of(world.parent_b, world.certificate)


def test_cancelled_certificate_keeps_its_permissions(world):
    """Rules look at who manages and who represents, not at the certificate's status."""
    from pfdo.certificates import services

    services.cancel_certificate(actor=world.operator, certificate=world.certificate, reason="x")
    world.certificate.refresh_from_db()
    assert world.operator.has_perm("certificates.manage", world.certificate)
    assert not world.other_operator.has_perm("certificates.manage", world.certificate)
    assert world.parent_a.has_perm("certificates.request_switch", world.certificate)


def test_manage_municipality_is_asked_with_the_municipality_itself(world):
    """Services handed a municipality (filing, import, the period's grants) ask this rule."""
    vorkuta = world.certificate.municipality
    holders = {
        role
        for role in ROLES
        if getattr(world, role).has_perm("certificates.manage_municipality", vorkuta)
    }
    assert holders == {"operator", "regional_admin", "superuser"}
    assert not world.operator.has_perm("certificates.manage_municipality", None)
