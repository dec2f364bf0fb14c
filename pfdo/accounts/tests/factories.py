"""Factories of users and memberships."""

import factory

from pfdo.accounts.models import Membership, User

PASSWORD = "correct-horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Анна"
    last_name = factory.Sequence(lambda n: f"Петрова{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def grant(user, role, *, municipality=None, region=None, is_provider_admin=False) -> Membership:
    membership = Membership.objects.create(
        user=user,
        role=role,
        municipality=municipality,
        region=region,
        is_provider_admin=is_provider_admin,
    )
    user.__dict__.pop("active_memberships", None)
    return membership
