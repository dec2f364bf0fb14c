"""The apps' state fields are django-fsm's to the models and CharFields to the migrations."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django_fsm import FSMField

import pfdo
from pfdo.common.fsm import StateField


def _state_fields():
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, FSMField):
                yield model, field


def test_every_state_field_is_a_charfield_to_migrations():
    found = list(_state_fields())
    assert len(found) >= 14, found  # the apps' status fields (and their history's copies)
    for model, field in found:
        assert isinstance(field, StateField), (model, field.name)
        _name, path, _args, kwargs = field.deconstruct()
        assert path == "django.db.models.CharField", (model, field.name)
        assert "protected" not in kwargs


def test_no_migration_renders_an_fsm_field():
    """An FSMField in a migration connects a receiver each time the migration renders its
    models: `migrate` got 40 % slower for it (pfdo/common/fsm.py)."""
    migrations = sorted(Path(pfdo.__file__).parent.glob("*/migrations/*.py"))
    assert migrations
    for path in migrations:
        assert "django_fsm" not in path.read_text(encoding="utf-8"), path
