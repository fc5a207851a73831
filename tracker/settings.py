"""Counterclaim settings, read from the environment.

Every setting that differs between a laptop and a server comes from an
environment variable with a safe local default. A value that cannot be
understood stops start-up with a message that names the variable.

Variables: SECRET_KEY, DEBUG, ALLOWED_HOSTS, DATABASE_URL, MEDIA_ROOT,
STATIC_ROOT, DATASET_ROOT, SHEET_MAX_MB, SHEET_BACKGROUND_ROWS, SQLITE_BUSY_TIMEOUT,
POSTGRES_PREPARED, CSRF_TRUSTED_ORIGINS,
SECURE_PROXY_SSL_HEADER, SECURE_SSL_REDIRECT, SECURE_HSTS_SECONDS,
SECURE_HSTS_PRELOAD, EVIDENCE_MAX_MB, AXES_FAILURE_LIMIT, AXES_COOLOFF_MINUTES,
RUN_UPLOAD_ROOT, RUN_UPLOAD_HOURS, RUN_STALE_MINUTES.
"""

import copy
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name, default, minimum=0):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} is set but empty; give a comma-separated list.")
    return items


PREPARE_THRESHOLD = 5  # runs of one query on a connection before it is prepared
SQLITE_MMAP_SIZE = 2**30  # bytes of an SQLite file read through a memory map


def env_database(name, default):
    raw = os.environ.get(name) or default
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a usable database URL: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: Counterclaim runs on SQLite (sqlite:///path) "
            "or PostgreSQL (postgres://user:password@host/name)."
        )
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}={raw!r} names no database.")
    if engine == "django.db.backends.postgresql":
        config["ENGINE"] = "tracker.postgresql"  # Django's, knowing its parameter limit
        # Search tokenises Arabic and Cyrillic text: the test database must be UTF-8.
        config["TEST"] = {"CHARSET": "UTF8", "TEMPLATE": "template0"}
        if env_bool("POSTGRES_PREPARED", True):
            # Parameters travel apart from the SQL, and a query a connection
            # has run five times is prepared. Its plan is still made for the
            # values of each run (plan_cache_mode), except for the queries
            # claims.plans.generic_plans() names, which switches the mode for
            # the session. A pooler that hands a session's statements to
            # different server connections (PgBouncer in transaction or
            # statement mode) needs POSTGRES_PREPARED=off.
            options = config.setdefault("OPTIONS", {})
            options.update(server_side_binding=True, prepare_threshold=PREPARE_THRESHOLD)
            options["options"] = " ".join(
                filter(None, [options.get("options"), "-c plan_cache_mode=force_custom_plan"])
            )
    if engine == "django.db.backends.sqlite3":
        # Several editors at once: WAL lets readers go on while one writes,
        # IMMEDIATE takes the write lock at BEGIN (no upgrade deadlocks), and
        # the busy timeout makes a second writer wait instead of failing.
        # Each thread keeps its connection for a minute, as on PostgreSQL:
        # opening one, with its pragmas and the schema to read, and an empty
        # page cache, costs a few milliseconds a request. A connection holds
        # no lock between queries; a restore writes into the same file.
        # Reads go through a memory map of the file's first SQLITE_MMAP_SIZE
        # bytes: every connection and worker shares the operating system's
        # copy of a page, where each would otherwise read it into a cache of
        # its own (2 MB by default, soon evicted on a large database).
        config["CONN_HEALTH_CHECKS"] = False  # a file does not drop the line
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA mmap_size={SQLITE_MMAP_SIZE};",
        }
    return config


# The alias through which background runs report their live progress (claims.runs).
PROGRESS_DATABASE = "progress"


def progress_database(default):
    """Where runs write their live progress: a connection of its own, outside the
    transaction an import writes in, so that what it writes is seen at once.

    On PostgreSQL: a second connection to the same database (in tests, a mirror of
    the default one). On SQLite a write transaction holds the lock of the whole
    file, and a second connection could not write beside it: progress goes to a
    small file of its own beside the database (`counterclaim-progress.sqlite3`),
    which claims.runs fills itself; deleting it loses nothing lasting.
    """
    config = copy.deepcopy(default)
    if default["ENGINE"] == "django.db.backends.sqlite3":
        name = str(default["NAME"])
        if name != ":memory:":
            path = Path(name)
            config["NAME"] = str(path.with_name(f"{path.stem}-progress{path.suffix}"))
        config["TEST"] = {}  # a database of its own in tests too (in memory)
    else:
        config["TEST"] = {**default.get("TEST", {}), "MIRROR": "default"}
    return config


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"  # nosec B105 (DEBUG only)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    "django_tables2",
    "simple_history",
    "csp",
    "axes",
    # Background tasks (spreadsheet imports and other runs): Django's tasks
    # framework from its backport, and its database backend with the worker
    # (`manage.py db_worker`).
    "django_tasks",
    "django_tasks_db",
    "claims",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses logins for a username and address locked out after failures.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "tracker.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "tracker.wsgi.application"

DATABASES = {
    "default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'counterclaim.sqlite3'}"),
}
DATABASES[PROGRESS_DATABASE] = progress_database(DATABASES["default"])
# No model lives in the progress database: migrations never write to it.
DATABASE_ROUTERS = ["claims.db.router.ProgressRouter"]

# Background tasks: queued in the database, run by `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# An uploaded file waits here, never served, for the run that reads it
# (claims.runs.keep_upload); `manage.py prune_runs` deletes the uploads of runs
# not confirmed, or finished, RUN_UPLOAD_HOURS after the upload.
RUN_UPLOAD_ROOT = Path(os.environ.get("RUN_UPLOAD_ROOT", BASE_DIR / "uploads"))
RUN_UPLOAD_HOURS = env_int("RUN_UPLOAD_HOURS", 24, minimum=1)
# A run that reports no progress for this long is taken for dead (its worker
# stopped): the admin stops saying it writes, and `prune_runs` marks it failed.
RUN_STALE_MINUTES = env_int("RUN_STALE_MINUTES", 30, minimum=1)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Each process keeps what is costly to make and quick to reuse: the bounded
# counts of lists and speaker pages, speaker summaries, the list's filter
# markup. One entry per set of filters or speaker; a few thousand fit in a
# few megabytes, and the oldest go first.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# In production whitenoise serves the collected files, compressed and under
# names that carry their hash, so browsers may keep them for ever. (While
# DEBUG is on, runserver serves them from the apps and static/.)
if not DEBUG:
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploaded evidence lives apart from the static files and is never served
# from the static root: /evidence/ is a view that checks who may have it.
MEDIA_URL = "evidence/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# The largest evidence file an editor may upload, in megabytes (the proxy in
# front must allow requests this large too).
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_MB", 50, minimum=1) * 1_000_000

# The published dataset's download files (/data/), rebuilt when data change.
DATASET_ROOT = Path(os.environ.get("DATASET_ROOT", BASE_DIR / "datasets"))

# Spreadsheet imports: the largest file accepted (uploads wait under
# RUN_UPLOAD_ROOT, above), and from how many rows a file is previewed and
# imported in the background (manage.py db_worker).
SHEET_MAX_BYTES = env_int("SHEET_MAX_MB", 200, minimum=1) * 1_000_000
SHEET_BACKGROUND_ROWS = env_int("SHEET_BACKGROUND_ROWS", 5000, minimum=0)

# --- HTTPS and browser protections -------------------------------------------------
# Off while DEBUG is on (local development over plain HTTP); on in production,
# where `manage.py check --deploy` passes.
PRODUCTION = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a proxy that ends TLS and says so in X-Forwarded-Proto.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Content Security Policy, in every environment (tests included): only this
# site's own scripts, styles, images and fonts; no inline script or style, no
# plugins, no framing, forms post only here. Templates therefore carry no
# style= or on*= attributes and no inline <script> (JSON-LD is data, not script).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Admin login lockout (django-axes) ----------------------------------------------
# After AXES_FAILURE_LIMIT failed logins for one username from one address, that
# pair is refused for AXES_COOLOFF_MINUTES; a success resets the count. Locking the
# pair (not the username alone) keeps an attacker from locking editors out.
# `manage.py axes_reset` lifts every lockout at once.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a proxy, the address the proxy saw (the last in X-Forwarded-For).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    AXES_CLIENT_IP_CALLABLE = "tracker.proxy.client_address"
