"""Test settings: the production settings with a fast hasher and in-memory mail.

The database still comes from DATABASE_URL, so the same suite runs on SQLite and PostgreSQL.
"""

import copy

from config.settings import *  # noqa: F403
from config.settings import PASSWORD_HASHERS as _PRODUCTION_HASHERS

# Argon2 stays available (tests check it is the production hasher); MD5 keeps the suite fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *_PRODUCTION_HASHERS]
PRODUCTION_PASSWORD_HASHERS = _PRODUCTION_HASHERS
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Every answer to a non-official and every log line of the test run is searched for a
# child's СНИЛС and document numbers; conftest.py fails the test that produced one
# (pfdo/common/tests/pd_scan.py). Outermost, so it reads what the client finally gets.
MIDDLEWARE = ["pfdo.common.tests.pd_scan.PersonalDataScanMiddleware", *MIDDLEWARE]  # noqa: F405
LOGGING = copy.deepcopy(LOGGING)  # noqa: F405
LOGGING["handlers"]["pd_scan"] = {"class": "pfdo.common.tests.pd_scan.PersonalDataLogHandler"}
LOGGING["root"]["handlers"] = [*LOGGING["root"]["handlers"], "pd_scan"]
