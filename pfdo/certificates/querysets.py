"""Who sees which children, applications and certificates.

Parents see their own children; operators their municipality; regional administrators
their region. Provider staff see none of these rows: they look a certificate up by its
exact number and the child's surname and get a reduced view (enrolment's
`look_up_for_provider`).
"""

from __future__ import annotations

from django.db.models import Q

from pfdo.common.querysets import ScopedQuerySet


def _official_q(user, municipality_path: str) -> Q:
    return Q(**{f"{municipality_path}_id__in": user.municipality_ids_for("operator")}) | Q(
        **{f"{municipality_path}__region_id__in": user.region_ids_for("regional_admin")}
    )


class ChildQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(Q(pk__in=_children_of(user)) | _official_q(user, "municipality"))

    def of_parent(self, user):
        return self.filter(guardianships__user=user)


class GuardianshipQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(Q(user=user) | _official_q(user, "child__municipality"))


class CertificateApplicationQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            Q(parent=user) | Q(child__in=_children_of(user)) | _official_q(user, "municipality")
        )

    def open(self):
        return self.filter(status__in=["applied", "verified"])


class CertificateQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(Q(child__in=_children_of(user)) | _official_q(user, "municipality"))


class NumberSequenceQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if user and user.is_authenticated and user.is_superuser:
            return self.all()
        return self.none()


class SwitchRequestQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            Q(certificate__child__in=_children_of(user)) | _official_q(user, "municipality")
        )


def _children_of(user):
    from django.apps import apps

    return (
        apps.get_model("certificates", "Guardianship").objects.filter(user=user).values("child_id")
    )


class ImportFileQuerySet(ScopedQuerySet):
    """A checked import file (children's data) is read by its import job only: no one's page
    lists them; superusers may see them in the admin."""

    def for_user(self, user):
        if user and user.is_authenticated and user.is_superuser:
            return self.all()
        return self.none()
