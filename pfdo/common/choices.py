"""Vocabulary shared by several apps: directions, forms of study, organisation types.

The normative cost (financing) is computed from values that providers and programmes
(catalog) carry, so the choices live here, below both.
"""

from django.db import models


class Direction(models.TextChoices):
    TECHNICAL = "technical", "техническая"
    NATURAL_SCIENCE = "natural_science", "естественнонаучная"
    SPORTS = "sports", "физкультурно-спортивная"
    ARTS = "arts", "художественная"
    TOURISM = "tourism", "туристско-краеведческая"
    SOCIAL = "social", "социально-гуманитарная"


class StudyForm(models.TextChoices):
    FULL_TIME = "full_time", "очная"
    MIXED = "mixed", "очно-заочная"
    DISTANCE = "distance", "заочная"


class LegalForm(models.TextChoices):
    MUNICIPAL = "municipal", "муниципальная организация"
    STATE = "state", "государственная организация"
    NGO = "ngo", "некоммерческая организация"
    COMPANY = "company", "коммерческая организация"
    IP = "ip", "индивидуальный предприниматель"


class TeacherQualification(models.TextChoices):
    HIGHEST = "highest", "высшая категория"
    FIRST = "first", "первая категория"
    NONE = "none", "без категории"
