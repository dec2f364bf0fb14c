"""Write use-cases of the catalogue, one module per use case: programme cards (`programs`,
`photos`), `modules` with their `normative_cost`, `groups` and their `lessons`, `publication`,
`certification` and `registries`; `problems` says what a card lacks.

Callers import the public names from here (`from pfdo.catalog import services`).
"""

from pfdo.catalog.services.certification import (
    assess,
    certify,
    reject_certification,
    return_to_draft,
    submit,
)
from pfdo.catalog.services.groups import add_group, update_group
from pfdo.catalog.services.lessons import add_schedule_entry, delete_schedule_entry, find_clash
from pfdo.catalog.services.modules import add_module, delete_module, update_module
from pfdo.catalog.services.normative_cost import (
    normative_period_for,
    preview_normative_cost,
    recompute_after_approval,
    recompute_normative_costs,
)
from pfdo.catalog.services.photos import set_program_photo
from pfdo.catalog.services.problems import ProgramIncomplete, card_problems, publication_problems
from pfdo.catalog.services.programs import create_program, update_program
from pfdo.catalog.services.publication import (
    archive,
    close_enrolment,
    open_enrolment,
    publish,
    unpublish,
)
from pfdo.catalog.services.ratings import refresh_program_rating
from pfdo.catalog.services.registries import set_registries

__all__ = [
    "ProgramIncomplete",
    "add_group",
    "add_module",
    "add_schedule_entry",
    "archive",
    "assess",
    "card_problems",
    "certify",
    "close_enrolment",
    "create_program",
    "delete_module",
    "delete_schedule_entry",
    "find_clash",
    "normative_period_for",
    "open_enrolment",
    "preview_normative_cost",
    "publication_problems",
    "publish",
    "recompute_after_approval",
    "recompute_normative_costs",
    "refresh_program_rating",
    "reject_certification",
    "return_to_draft",
    "set_program_photo",
    "set_registries",
    "submit",
    "unpublish",
    "update_group",
    "update_module",
    "update_program",
]
