"""Contract test of the ПФДО API v2 compatibility section of /api/schema/ (pfdo/compat):
every operation, anonymously (the API has no login), with valid and invalid data — never a
server error, and every answer as this section of the schema declares it (status, content
type, body: the envelope or the original's error envelope). The answers against the observed
description of the original are pfdo/compat/tests/test_contract.py."""

from __future__ import annotations

import re

from django.conf import settings

from tests.api_contract.contract import (
    CHECKS,
    SETTINGS,
    full_schema,
    requests_keep_the_test_connection,
)

compat_schema = full_schema.include(path_regex="^/" + re.escape(settings.PFDO_COMPAT_API_PREFIX))


@compat_schema.parametrize()
@SETTINGS
def test_compat_operation(case, _demo_tokens, db):
    with requests_keep_the_test_connection():
        case.call_and_validate(checks=CHECKS)
