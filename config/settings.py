"""Django settings: everything that differs between machines comes from the environment."""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent


def _generated_key(path: Path) -> str:
    """The key kept in `path`, generated there (mode 600) by the first process that needs it.

    Written under a temporary name and linked into place, so two processes starting at once
    (a seed and a server, test workers) end up reading the same key.
    """
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        draft.write_text(secrets.token_urlsafe(50) + "\n")
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _production_key(name: str, what: str) -> str:
    """A key production cannot start without: a clear refusal naming it, never a default."""
    value = env.str(name, default="").strip()
    if not value:
        raise environ.ImproperlyConfigured(
            f"PFDO_ENV=production refuses to start without {name}: set it in the environment "
            f"(or .env) to {what}. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    return value


PFDO_ENV = env.str("PFDO_ENV", default="development")
PRODUCTION = PFDO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise environ.ImproperlyConfigured("DEBUG must be off when PFDO_ENV=production")

if DEBUG:
    # A development-only key; without DEBUG a real SECRET_KEY must be supplied.
    SECRET_KEY = env.str(
        "SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789-abcdefghij"
    )
elif PRODUCTION:
    SECRET_KEY = _production_key("SECRET_KEY", "Django's secret key (signs sessions and links)")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "axes",
    "pfdo.common",
    "pfdo.audit",
    "pfdo.territory",
    "pfdo.accounts",
    "pfdo.jobs",
    "pfdo.financing",
    "pfdo.ledger",
    "pfdo.certificates",
    "pfdo.providers",
    "pfdo.catalog",
    "pfdo.enrolment",
    "pfdo.billing",
    "pfdo.ratings",
    "pfdo.content",
    "pfdo.reports",
    "pfdo.compat",
    "pfdo.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Right after the static files: every answer of the application gets the CSP and no-store.
    "pfdo.common.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "pfdo.common.middleware.RequestContextMiddleware",
    "pfdo.common.middleware.RateLimitMiddleware",
    "pfdo.common.idempotency.IdempotencyMiddleware",
    "pfdo.accounts.middleware.ForcePasswordChangeMiddleware",
    # AxesMiddleware must be last: it turns lockouts into our lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pfdo.common.context_processors.site",
                "pfdo.common.context_processors.low_vision_mode",
                "pfdo.accounts.context_processors.navigation",
            ],
        },
    }
]

VAR_DIR = Path(env.str("PFDO_VAR_DIR", default=str(BASE_DIR / "var")))

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'pfdo.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes a write transaction take the lock at BEGIN, so concurrent writers
    # wait (up to the timeout) instead of failing half-way with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    # The reports' covering indexes (INCLUDE columns) are PostgreSQL's; SQLite builds them as
    # plain indexes, which is all the embedded demo needs — no warning on every command.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "territory:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Lockout: by login name (a password cannot be guessed from many addresses) and by address +
# browser (one client cannot walk through many logins). Address alone is not used, so one
# parent's typos cannot lock out a whole school or provider office behind one NAT address.
AXES_FAILURE_LIMIT = env.int("PFDO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PFDO_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", ["ip_address", "user_agent"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "pfdo.accounts.views.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The client's address as every counter sees it (pfdo/common/clientip.py): REMOTE_ADDR, or
# behind one of PFDO_TRUSTED_PROXIES the right-most address of X-Forwarded-For they did not add.
AXES_CLIENT_IP_CALLABLE = "pfdo.common.clientip.client_ip"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# Addresses or networks of the proxies in front of the web workers (a load balancer, nginx):
# only a request arriving from one of them has its X-Forwarded-For read. Empty: never read.
PFDO_TRUSTED_PROXIES = env.list("PFDO_TRUSTED_PROXIES", default=[])
for _proxy in PFDO_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError:
        raise environ.ImproperlyConfigured(
            f"PFDO_TRUSTED_PROXIES: {_proxy!r} is not an address or a network (10.0.0.0/8)"
        ) from None

LANGUAGE_CODE = "ru"
# Only Russian until translations exist: an English browser must not get a mix of languages.
LANGUAGES = [("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic puts the compressed, hashed files production serves. Development and the
# tests read the source folders (WHITENOISE_USE_FINDERS) and an empty folder of their own, so a
# collectstatic of `make serve` or a serving test never rewrites files a development server or
# a parallel test is reading.
STATIC_ROOT = Path(
    env.str(
        "PFDO_STATIC_ROOT",
        default=str(VAR_DIR / ("collected-static" if PRODUCTION else "static")),
    )
)
WHITENOISE_USE_FINDERS = not PRODUCTION  # the demo serves static files without collectstatic
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}


def _email_config(url: str) -> dict:
    """django-environ reads `filemail:///abs/path` as the relative path `abs/path` (and
    `filemail://var/mail` as host `var`, path `mail`): the folder of file mail is taken as
    written, a relative one under the project."""
    config = environ.Env.email_url_config(url)
    if url.startswith("filemail://"):
        folder = Path(url.removeprefix("filemail://").split("?", 1)[0])
        config["EMAIL_FILE_PATH"] = str(folder if folder.is_absolute() else BASE_DIR / folder)
        config["EMAIL_HOST"] = None
    return config


EMAIL_CONFIG = _email_config(
    env.str(
        "EMAIL_URL",
        default=f"filemail://{VAR_DIR / 'mail'}" if not PRODUCTION else "smtp://localhost:25",
    )
)
vars().update(EMAIL_CONFIG)
# A backend other than EMAIL_URL's scheme gives (a provider's API backend; the tests' slow one).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=EMAIL_CONFIG["EMAIL_BACKEND"])
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="pfdo@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address links in e-mails point to (no request is at hand when mail leaves after commit).
SITE_URL = env.str("PFDO_SITE_URL", default="http://127.0.0.1:8000")
# Key of the keyed hash (HMAC) that finds duplicate children by СНИЛС or document without
# comparing raw numbers. Its own setting, never derived from SECRET_KEY: rotating the secret
# key must not hide every known child. Production refuses to start without it; elsewhere it is
# generated once into var/pd_hash_key, so the demo's seeding and its server (and every other
# process of this checkout) hash with one key. After changing it run `rekey_pd_hashes`.
if PRODUCTION:
    PFDO_PD_HASH_KEY = _production_key(
        "PFDO_PD_HASH_KEY",
        "the key of the personal-data hashes (СНИЛС, documents); keep it as long as the data",
    )
    if PFDO_PD_HASH_KEY == SECRET_KEY:
        raise environ.ImproperlyConfigured("PFDO_PD_HASH_KEY must differ from SECRET_KEY")
else:
    PFDO_PD_HASH_KEY = env.str("PFDO_PD_HASH_KEY", default="") or _generated_key(
        VAR_DIR / "pd_hash_key"
    )
# Uploaded images (the programme photo): a side above 8000 px or more pixels than 8000 × 8000
# is refused from the header, before decoding (a phone's 12–48 MP photo passes; a small PNG
# claiming 30000 × 30000 does not). The pixel cap is Pillow's own limit in every process too.
PFDO_IMAGE_MAX_SIDE = env.int("PFDO_IMAGE_MAX_SIDE", default=8000)
PFDO_IMAGE_MAX_PIXELS = env.int("PFDO_IMAGE_MAX_PIXELS", default=8000 * 8000)
# Uploaded PDF documents of the portal content (an instruction's PDF, the privacy-policy file):
# at most this many bytes. 10 MB holds a long illustrated instruction; a scan of a paper
# document should be compressed before it is published for families on mobile connections.
PFDO_CONTENT_PDF_MAX_BYTES = env.int("PFDO_CONTENT_PDF_MAX_BYTES", default=10 * 1024 * 1024)
# Uploaded import files wait here between the check and the import (deleted after 2 hours).
PFDO_IMPORT_DIR = env.str("PFDO_IMPORT_DIR", default=str(VAR_DIR / "imports"))

# The shared cache: rate-limit counters (and, later, catalogue caching) must be the same for
# every worker process of a deployment, so production uses Redis (CACHE_URL, e.g.
# redis://127.0.0.1:6379/0); the embedded default keeps them in this process's memory.
CACHES = {
    "default": env.cache_url(
        "CACHE_URL", default="redis://127.0.0.1:6379/0" if PRODUCTION else "locmemcache://pfdo"
    )
}
# Redis through the backend that degrades instead of failing (pfdo/common/cache.py): short
# socket timeouts, and while Redis does not answer this process's memory, Redis again after
# PFDO_CACHE_RETRY_SECONDS.
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "pfdo.common.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).setdefault(
        "RETRY_AFTER", env.float("PFDO_CACHE_RETRY_SECONDS", default=5)
    )

# Background jobs (Celery, config/celery.py). The broker is Redis in production; without
# one every task runs in the process that enqueues it, after the commit (`make run`, tests).
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default="redis://127.0.0.1:6379/1" if PRODUCTION else ""
)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# No result backend: a job's row (pfdo.jobs) and a notification's row hold what happened.
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it has finished, and a worker killed mid-task gives it back
# to the queue: every task is safe to run again (the rows say what is done).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task not acknowledged within this time (its worker vanished) is delivered again.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "pfdo"
CELERY_TIMEZONE = "Europe/Moscow"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The schedule of celery beat (exactly one beat process per deployment). Times are Moscow's.
CELERY_BEAT_SCHEDULE = {
    # Jobs waiting or running without a sign of life for 2 minutes go to a worker again.
    "jobs-sweep": {"task": "pfdo.jobs.sweep", "schedule": 60.0},
    # Letters pending for more than a minute (a lost task) are sent, once.
    "outbox-sweep": {"task": "pfdo.accounts.sweep_outbox", "schedule": 60.0},
    # Enrolment terms: expired applications and offers, finished contracts (within 5 minutes
    # of their term, as the families were told).
    "enrolment-deadlines": {
        "task": "pfdo.enrolment.run_deadlines",
        "schedule": crontab(minute="*/5"),
    },
    # Reminders of terms ending within 36 hours, read in the morning.
    "enrolment-reminders": {
        "task": "pfdo.enrolment.send_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    # After midnight, the day's date settled: 18th birthdays, then the nominals of running
    # periods (an expired certificate gets none; a new period's arrive on its first day).
    "certificates-expiry": {
        "task": "pfdo.certificates.expire_certificates",
        "schedule": crontab(hour=0, minute=15),
    },
    "period-nominals": {
        "task": "pfdo.certificates.grant_period_nominals",
        "schedule": crontab(hour=0, minute=45),
    },
    # Public enrolment checks of the ПФДО API v2 that expired unconfirmed (24 h) are deleted;
    # an hour late is harmless: every look-up checks the expiry itself.
    "compat-verification-sweep": {
        "task": "pfdo.compat.sweep_enrolment_verifications",
        "schedule": crontab(minute=20),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Rate limits, "attempts/seconds" per window and key (pfdo/common/ratelimit.py). Sized so a
# family, a school behind one address or a provider's desk on a busy September day never meets
# them, while guessing, enumeration and form flooding stop after a handful of tries. Change any
# with PFDO_RATE_LIMITS="name=count/seconds,name=count/seconds".
PFDO_RATE_LIMITS = {
    # Anonymous forms (issue 13). Counted on every submission that reaches the service; the
    # form's own format errors (empty fields, a bad СНИЛС checksum) are free and write nothing.
    # A family files one certificate form per child, a school, library or МФЦ helping families
    # from one address (or a mobile carrier's shared address) rarely more than one every few
    # minutes; the 30-in-2-seconds flood of the issue stops at 20 an hour.
    "certificate_apply_ip": "20/3600",
    # Per typed e-mail, known or not (a refusal tells nothing): one family, up to eight children
    # in an hour. Every submission writes a letter to that address, so this also caps how
    # often a stranger can make the system mail someone's box.
    "certificate_apply_email": "8/3600",
    # An organisation applies once in its life; ten tries an hour leave room to fix the card's
    # mistakes (checked by the service, so they count), 25 applications in 2 s do not pass.
    "provider_apply_ip": "10/3600",
    # Per typed ИНН from any address: a known ИНН sends the organisation a letter, so a flood
    # of applications in its name stops at ten letters a day.
    "provider_apply_inn": "10/86400",
    # Password reset: a person asks once or twice; ten an hour per address covers a shared one.
    "password_reset_ip": "10/3600",
    # Per typed e-mail, known or not (the 429 must not tell whether an account has it): the
    # link lives 24 h, so three letters an hour to one mailbox is plenty; 20 is a flood.
    "password_reset_account": "3/3600",
    # API tokens live PFDO_API_TOKEN_TTL_DAYS; an integration asks rarely. Per address, and
    # per typed login (existing or not) on top of axes' lockout after wrong passwords.
    "token_ip": "30/3600",
    "token_account": "10/3600",
    # The public ПФДО API v2 (pfdo/compat), every call from one address: a portal's server or
    # a mirror walking a region's catalogue (5,600 programme cards) does so in minutes; a
    # flood from one address waits instead of loading the database.
    "compat_ip": "1200/60",
    # Failed logins on the login page per address. axes locks a login after 5 failures and an
    # address + browser string after 5; a client changing its browser string walks past the
    # latter, this stops it. 30 failures in 15 minutes is six logins locked out from one
    # address — beyond a school or office; successful logins never count.
    "login_failures_ip": "30/900",
    # Certificate look-ups by provider staff (number + surname; the look-up page, and the
    # preview and the filing of an in-person enrolment — two look-ups per child enrolled).
    # A desk in September takes a family every 2–3 minutes: ~25 children an hour, 50
    # look-ups, plus retyped numbers — 100 an hour per staff member leaves room; guessing
    # stops at 100 tries an hour. A provider enrols 50–150 children a day: 300 look-ups, 600
    # with a margin for misses and a second desk; what passes unnoticed by the limit is in
    # the operator's report of look-ups.
    "lookup_staff": "100/3600",
    "lookup_provider": "600/86400",
    # in-person confirmation codes typed by provider staff, per staff member
    "confirm_code_staff": "20/3600",
    # The public enrolment check (issue 14): surname, first name and the last 4 digits of the
    # child's document. A family checks its children once in a while; a school or МФЦ helping
    # families from one address a few dozen an hour. Guessing the 4 digits takes up to
    # 10 000 tries per child, so per address it stops at 30 an hour, and per child's name
    # (what a guesser cannot vary; counted from any address) at 10 a day — a family
    # mistyping a few times still gets through.
    "enrolment_check_ip": "30/3600",
    "enrolment_check_name": "10/86400",
    # The public status of a certificate application (its number and the e-mail). Numbers
    # are sequential, so per address 30 an hour; per number 10 a day stops trying e-mails.
    "application_status_ip": "30/3600",
    "application_status_number": "10/86400",
    # The ПФДО API v2's enrolment check (pfdo/compat/services/verification.py) asks the check
    # above (its limits apply as they are), then mails a confirmation letter to the address
    # the family types: that letter is what these cap. Per client address as the check; per
    # typed e-mail (known or not) ten letters a day — a family checking each of its children,
    # with a retyped address or two; per verification three (a typo fixed twice), so a stolen
    # or shared token cannot be used to mail many boxes.
    "enrolment_verify_ip": "30/3600",
    "enrolment_verify_email": "10/86400",
    "enrolment_verify_check": "3/86400",
}
for _item in env.list("PFDO_RATE_LIMITS", default=[]):
    _name, _, _spec = _item.partition("=")
    PFDO_RATE_LIMITS[_name.strip()] = _spec.strip()

# The in-person confirmation code (pfdo/enrolment/services/codes.py) is six digits. Wrong codes
# one application accepts before its code is void and the parent must confirm in the cabinet:
# a parent reading the code aloud may be misheard once or twice, five leave a guesser one
# chance in 200 000. And wrong codes over all applications of one certificate in 24 hours (a
# provider that rejects and files again gets no fresh tries on the same child that day).
# How the public pages tell a family to reach the municipality's operator (the enrolment
# check's "an enrolment you do not know of", the application status): phone, address, hours.
# Empty: the pages name the municipality's operator without contacts.
PFDO_OPERATOR_CONTACT = env.str("PFDO_OPERATOR_CONTACT", default="")

PFDO_CONFIRM_CODE_ATTEMPTS = env.int("PFDO_CONFIRM_CODE_ATTEMPTS", default=5)
PFDO_CONFIRM_CODE_CERTIFICATE_ATTEMPTS = env.int(
    "PFDO_CONFIRM_CODE_CERTIFICATE_ATTEMPTS", default=10
)

REST_FRAMEWORK = {
    # Token first: an anonymous API call then answers 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "pfdo.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "pfdo.common.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "pfdo.common.api.schema.AutoSchema",
    # Not a rate limit: refuses a malformed Idempotency-Key after authentication, permissions
    # and only for a method the view serves (so 401/403/405 come first). Views must not
    # replace throttle_classes (pfdo/common/tests/test_idempotency.py walks them all).
    "DEFAULT_THROTTLE_CLASSES": ["pfdo.common.api.idempotency_key.IdempotencyKeyCheck"],
    "EXCEPTION_HANDLER": "pfdo.common.api.errors.exception_handler",
    "DEFAULT_METADATA_CLASS": "pfdo.common.api.metadata.Metadata",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["pfdo.common.api.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ПФДО API",
    "DESCRIPTION": (
        "API открытой системы персонифицированного финансирования дополнительного образования. "
        "Ошибки 4xx всегда имеют тело "
        '{"error": {"code": "...", "message": "...", "fields": {...}}}. '
        "Деньги — целые копейки."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # An empty optional query value means "absent" (issue 18).
        "pfdo.common.api.schema.allow_empty_query_values",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ProgramKindEnum": "pfdo.catalog.models.Program.Kind",
        "MunicipalityKindEnum": "pfdo.territory.models.Municipality.Kind",
        # Also used by the public enrolment check and application status (issue 14).
        "ContractStatusEnum": "pfdo.enrolment.models.Contract.Status",
        # A lesson's week parity: the catalogue's schedule and the ПФДО API v2's groups.
        "ParityEnum": "pfdo.catalog.models.ScheduleEntry.Parity",
        "CertificateApplicationStatusEnum": "pfdo.certificates.models.CertificateApplication.Status",
        # The roles an instruction is written for (pfdo/content) are the accounts' roles.
        "RoleEnum": "pfdo.accounts.roles.Role",
    },
}

# Where the public ПФДО API v2 compatibility layer answers (pfdo/compat, docs/pfdo-api-v2.md):
# a client of api.pfdo.ru/v2 switches with its base address set to https://<host>/<prefix>.
PFDO_COMPAT_API_PREFIX = env.str("PFDO_COMPAT_API_PREFIX", default="pfdo-api/v2/").strip("/") + "/"
# The portal page a letter of the ПФДО API v2's enrolment check links to, to confirm the
# family's e-mail ({portal}: the region's portal address from its settings, else
# PFDO_SITE_URL; {token}: the letter's token). The portal's page calls
# POST enrollment-verification/confirm-email/{token}; a portal with another path sets this.
PFDO_COMPAT_CONFIRM_EMAIL_URL = env.str(
    "PFDO_COMPAT_CONFIRM_EMAIL_URL", default="{portal}/enrollments/confirm-email/{token}"
)

PFDO_MUNICIPALITY = env.str("PFDO_MUNICIPALITY", default="vorkuta")
PFDO_API_TOKEN_TTL_DAYS = env.int("PFDO_API_TOKEN_TTL_DAYS", default=30)
# The deepest JSON body the API parses: its deepest real payload (attendance marks, a group's
# schedule) nests 3 levels; a hostile body nested thousands deep is refused as 400, not 500.
PFDO_API_MAX_JSON_DEPTH = env.int("PFDO_API_MAX_JSON_DEPTH", default=32)
PFDO_IDEMPOTENCY_TTL_HOURS = env.int("PFDO_IDEMPOTENCY_TTL_HOURS", default=24)
# A parent may change a programme rating this many days after giving it; then it is locked.
PFDO_RATING_EDIT_DAYS = env.int("PFDO_RATING_EDIT_DAYS", default=30)
PFDO_SITE_NAME = env.str("PFDO_SITE_NAME", default="Навигатор дополнительного образования")

SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: pages, htmx, Swagger UI and the browsable API take the token
# from the page itself, so the cookie is out of reach of scripts too.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
CSRF_FAILURE_VIEW = "pfdo.common.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
# The Content-Security-Policy of every answer (pfdo.common.middleware.SecurityHeadersMiddleware):
# scripts and styles only from files of this server — no inline <script>, <style>, style=""
# or on…="" handler in any template (static/js/app.js holds the behaviour, htmx is told not to
# inject its own <style> nor eval) — images also as data: URIs (Pico's icons, Swagger UI), no
# plugins, no <base>, forms posting only here, no framing. The browsable API's pages alone
# add style-src 'unsafe-inline' (its Bootstrap markup). PFDO_CSP_REPORT_ONLY=1 sends it as
# Content-Security-Policy-Report-Only, to try a change on a running site.
PFDO_CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
PFDO_CSP_REPORT_ONLY = env.bool("PFDO_CSP_REPORT_ONLY", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# `make serve` runs the production settings on this machine over plain http (no TLS proxy in
# front): PFDO_LOCAL_HTTP=1 turns off the https redirect, the Secure flag of the cookies and
# HSTS, so a login works in the browser at http://127.0.0.1. It is refused unless every
# allowed host is this machine's own, so it cannot open a real site to plain http.
PFDO_LOCAL_HTTP = env.bool("PFDO_LOCAL_HTTP", default=False)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
if PFDO_LOCAL_HTTP and not (ALLOWED_HOSTS and set(ALLOWED_HOSTS) <= LOOPBACK_HOSTS):
    raise environ.ImproperlyConfigured(
        "PFDO_LOCAL_HTTP=1 (plain http, no Secure cookies) is only for serving on this machine: "
        f"ALLOWED_HOSTS must all be loopback ({', '.join(sorted(LOOPBACK_HOSTS))}), "
        f"got {ALLOWED_HOSTS}"
    )

if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not PFDO_LOCAL_HTTP)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = not PFDO_LOCAL_HTTP
    CSRF_COOKIE_SECURE = not PFDO_LOCAL_HTTP
    SECURE_HSTS_SECONDS = (
        0 if PFDO_LOCAL_HTTP else env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = not PFDO_LOCAL_HTTP
    SECURE_HSTS_PRELOAD = not PFDO_LOCAL_HTTP

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}
