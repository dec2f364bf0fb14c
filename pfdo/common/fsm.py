"""The state field of the apps' state machines."""

from __future__ import annotations

from django_fsm import FSMField


class StateField(FSMField):
    """django-fsm's FSMField, which to migrations is the CharField it stores.

    An FSMField connects a `class_prepared` receiver for every model it is put on, and a
    migration renders its historical models thousands of times: with FSMFields in the
    migrations, every model rendered called every such receiver ever connected (2.7 million
    calls, about 40 % of `migrate`, paid by each test database and each deployment). The
    transitions are the models' behaviour, not the database's: migrations see a CharField.
    """

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("protected", None)
        return name, "django.db.models.CharField", args, kwargs
