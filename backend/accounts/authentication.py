"""`Authorization: Bearer <token>` against per-device, revocable tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from backend.accounts import token_cache
from backend.accounts.models import DeviceToken, User, hash_token

# What a request needs of the token and its user; every other field is deferred and loads on first
# access (one query for that field). The role, clinic and id scope every read (`*_visible_to`); the
# language goes back to the phone with every sync (mobile/language.py).
_TOKEN_FIELDS = ("id", "user", "created_at", "last_used_at")
_USER_FIELDS = ("id", "username", "is_active", "role", "clinic", "language")


def _attnames(model: type[Any], names: tuple[str, ...]) -> list[str]:
    """`names` as attribute names, in the model's concrete field order (what `from_db` expects)."""
    return [f.attname for f in model._meta.concrete_fields if f.name in names]


_TOKEN_ATTNAMES = _attnames(DeviceToken, _TOKEN_FIELDS)
_DATETIME_ATTNAMES = ("created_at", "last_used_at")
_USER_ATTNAMES = _attnames(User, _USER_FIELDS)
_sql_by_vendor: dict[str, str] = {}


def _lookup_sql() -> str:
    """The token lookup written out: compiling the 3-model, ~40-column `select_related` query it
    replaces was most of an authenticated request's cost (bench/README.md, bench 6; measured on
    PostgreSQL, 0.5-0.6 -> 0.07 ms CPU per lookup). Table and column names come from the models
    and are quoted by the backend, so it runs on SQLite and PostgreSQL.

    `is_active` is a condition, not a column read back: a row found has it true (this also spares
    SQLite's 0/1 → bool conversion)."""
    sql = _sql_by_vendor.get(connection.vendor)
    if sql is None:
        q = connection.ops.quote_name
        token_meta, user_meta = DeviceToken._meta, User._meta

        def columns(alias: str, meta: Any, attnames: list[str]) -> list[str]:
            return [f"{alias}.{q(meta.get_field(a).column)}" for a in attnames]

        selected = columns("t", token_meta, _TOKEN_ATTNAMES) + columns(
            "u", user_meta, [a for a in _USER_ATTNAMES if a != "is_active"]
        )
        token, user = q(token_meta.db_table), q(user_meta.db_table)
        token_user_id, user_id = q(token_meta.get_field("user").column), q(user_meta.pk.column)
        key_hash, revoked_at = q(token_meta.get_field("key_hash").column), q(token_meta.get_field("revoked_at").column)
        is_active = q(user_meta.get_field("is_active").column)
        # Names from _meta, quoted; every value travels as a parameter.
        sql = (
            f"SELECT {', '.join(selected)} FROM {token} t INNER JOIN {user} u ON u.{user_id} = t.{token_user_id} "  # noqa: S608
            f"WHERE t.{key_hash} = %s AND t.{revoked_at} IS NULL AND u.{is_active} = %s"
        )
        _sql_by_vendor[connection.vendor] = sql
    return sql


def token_user(raw: str) -> tuple[User, DeviceToken] | None:
    """The active user and unrevoked token behind a raw Bearer token, in one query; None if any
    of the three does not hold (unknown, revoked, deactivated)."""
    found = _database_values(hash_token(raw))
    return None if found is None else _build(*found)


_Values = tuple[tuple[Any, ...], tuple[Any, ...]]


def _database_values(digest: str) -> _Values | None:
    """(token values in _TOKEN_ATTNAMES order, user values in _USER_ATTNAMES order), or None."""
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(), [digest, True])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_TOKEN_ATTNAMES)
    user_values = list(row[split:])
    user_values.insert(_USER_ATTNAMES.index("is_active"), True)
    token_values = [
        _as_datetime(v) if a in _DATETIME_ATTNAMES else v for a, v in zip(_TOKEN_ATTNAMES, row[:split], strict=True)
    ]
    return tuple(token_values), tuple(user_values)


def _build(token_values: tuple[Any, ...], user_values: tuple[Any, ...]) -> tuple[User, DeviceToken]:
    """Fresh instances for one request (a view may cache related objects on them)."""
    user = User.from_db(connection.alias, _USER_ATTNAMES, list(user_values))
    token = DeviceToken.from_db(connection.alias, _TOKEN_ATTNAMES, list(token_values))
    DeviceToken.user.field.set_cached_value(token, user)
    return user, token


def _values(user: User, token: DeviceToken) -> _Values:
    return tuple(getattr(token, a) for a in _TOKEN_ATTNAMES), tuple(getattr(user, a) for a in _USER_ATTNAMES)


def token_user_cached(digest: str, current: bytes | None) -> tuple[User, DeviceToken] | None:
    """The token check without the database: a remembered entry of this process, if `current`
    (the generation in Redis) still matches it (backend.accounts.token_cache) and the token needs no
    write (`token_in_use` would neither record its use nor end it); otherwise None."""
    if current is None:
        return None
    entry = token_cache.lookup(digest, current)
    return None if entry is None else _needing_no_write(*_build(entry.token_values, entry.user_values))


def _needing_no_write(user: User, token: DeviceToken) -> tuple[User, DeviceToken] | None:
    idle = timezone.now() - (token.last_used_at or token.created_at)
    limit = idle_limit(user.role)
    if idle > timedelta(seconds=TOKEN_TOUCH_SECONDS) or (limit is not None and idle > limit):
        return None
    return user, token


def still_valid_sql(token: DeviceToken) -> tuple[str, list[Any]]:
    """A boolean SQL expression: the token is unrevoked and its user still active, with the role and
    clinic the request was authorized with. For a statement that checks the token itself
    (BearerVerifiedInStatement), so that what it reads and the check are one snapshot."""
    user = token.user
    q = connection.ops.quote_name
    token_meta, user_meta = DeviceToken._meta, User._meta
    column = lambda meta, name: q(meta.get_field(name).column)  # noqa: E731
    sql = (
        f"EXISTS (SELECT 1 FROM {q(token_meta.db_table)} vt INNER JOIN {q(user_meta.db_table)} vu "  # noqa: S608
        f"ON vu.{q(user_meta.pk.column)} = vt.{column(token_meta, 'user')} "
        f"WHERE vt.{column(token_meta, 'key_hash')} = %s AND vt.{column(token_meta, 'revoked_at')} IS NULL "
        f"AND vu.{q(user_meta.pk.column)} = %s AND vu.{column(user_meta, 'is_active')} "
        f"AND vu.{column(user_meta, 'role')} = %s AND vu.{column(user_meta, 'clinic')} IS NOT DISTINCT FROM %s)"
    )
    return sql, [token.verify_in_statement, user.pk, user.role, user.clinic_id]  # type: ignore[attr-defined]


def _as_datetime(value: Any) -> datetime | None:
    """A raw cursor returns SQLite's datetimes as text, or as naive datetimes where Python's sqlite3
    converts the declared type (PostgreSQL's come aware); both are UTC."""
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if isinstance(parsed, datetime) and parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed  # type: ignore[no-any-return]


# The last use is written at most this often per token: a request's cost stays one query.
TOKEN_TOUCH_SECONDS = 300
IDLE_EXPIRED = "Signed out after {hours} hours without use. Sign in again."


def idle_limit(role: str) -> timedelta | None:
    """How long a token of this role may go unused (CARELOOP_TOKEN_IDLE_MINUTES); None: no limit
    (a patient's phone may be offline for weeks: re-enrollment or the nurse ends its token)."""
    minutes = settings.CARELOOP_TOKEN_IDLE_MINUTES.get(role)
    return timedelta(minutes=minutes) if minutes else None


def token_in_use(user: User, token: DeviceToken, now: datetime | None = None) -> bool:
    """False, and the token revoked, once it went unused for longer than its role's idle limit;
    otherwise its last use is recorded (every TOKEN_TOUCH_SECONDS at most)."""
    now = now or timezone.now()
    last = token.last_used_at or token.created_at
    limit = idle_limit(user.role)
    if limit is not None and now - last > limit:
        DeviceToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        return False
    if now - last > timedelta(seconds=TOKEN_TOUCH_SECONDS):
        DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return True


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def digest(self, request: Request) -> str | None:
        """The token's digest; None when the request carries no Bearer token (another scheme's)."""
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Bearer <token>'.")
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        return hash_token(raw)

    def authenticate(self, request: Request) -> tuple[User, DeviceToken] | None:
        digest = self.digest(request)
        if digest is None:
            return None
        # Read before the rows (if it comes to them): an entry never outlives a revocation it did not see.
        current = token_cache.generation()
        cached = token_user_cached(digest, current)
        if cached is not None:
            return cached
        values = _database_values(digest)
        if values is None:
            token_cache.forget(digest)
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        user, token = _build(*values)
        if not token_in_use(user, token):
            limit = idle_limit(user.role)
            hours = round(limit.total_seconds() / 3600) if limit else 0
            raise exceptions.AuthenticationFailed(IDLE_EXPIRED.format(hours=hours))
        if current is not None:
            token_cache.remember(digest, current, *_values(user, token))
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class BearerVerifiedInStatement(BearerTokenAuthentication):
    """For a view whose one statement checks the token itself (backend.alerts.first_page): a token
    this process remembers is taken without asking Redis, and marked (`token.verify_in_statement`,
    its digest). The view must then either put `still_valid_sql(token)` into the statement that
    reads, and read nothing if it is false, or call `verified(request)` before reading anything;
    when the statement's check fails, `verified(request)` too (a 401 if the token ended). Any other
    token: as BearerTokenAuthentication."""

    def authenticate(self, request: Request) -> tuple[User, DeviceToken] | None:
        digest = self.digest(request)
        if digest is None:
            return None
        entry = token_cache.peek(digest)
        found = None if entry is None else _needing_no_write(*_build(entry.token_values, entry.user_values))
        if found is None:
            return super().authenticate(request)
        found[1].verify_in_statement = digest  # type: ignore[attr-defined]
        return found


def unverified(request: Request) -> bool:
    return getattr(request.auth, "verify_in_statement", None) is not None


def verified(request: Request, *, failed: bool = False) -> None:
    """Authenticate `request` again as BearerTokenAuthentication does (the generation in Redis, or
    the database): AuthenticationFailed if the token ended. `failed`: the statement's own check
    failed, so the entry taken unchecked is forgotten first (the database answers)."""
    digest = getattr(request.auth, "verify_in_statement", None)
    if digest is not None and failed:
        token_cache.forget(digest)
    request.authenticators = (BearerTokenAuthentication(),)
    request._authenticate()


class SessionOrBearer(BearerTokenAuthentication):
    """For views the dashboard also calls with its session cookie."""

    def authenticate(self, request: Request) -> Any:
        found = super().authenticate(request)
        if found is not None:
            return found
        return authentication.SessionAuthentication().authenticate(request)
