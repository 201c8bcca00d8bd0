"""Who may use a server: user accounts with roles, API tokens, and the checks every door makes.

``users.json`` in the data home (user-only, mode 600) holds each user's role, an argon2id hash of
the password (``argon2-cffi``) and the SHA-256 of each API token (a token is 256 random bits, so a
fast hash is enough; it is shown once, when made). ``server.auth`` ('user:password') keeps working
as one admin account that lives only in the settings.

Checking a password costs a slow hash on purpose; a credential once verified is remembered (by
an HMAC of it and of the stored hash, under a key that lives only in the process) for ``REMEMBER``
seconds, so a client sending HTTP Basic with every request pays the hash once, not per request,
and a changed password is checked again at once. Failed logins are
logged (the name and where from, never the password) and slow down: each failure in a row for a
name doubles the wait before the next answer, up to ``MAX_BACKOFF`` seconds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from index.manifest import write_atomic
from qa.errors import BadQuestion

FILE = "users.json"
ROLES = ("reader", "editor", "admin")  # each may do what the ones before it may
REMEMBER = 600.0  # seconds a verified password is remembered
MAX_BACKOFF = 8.0
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
log = logging.getLogger("analyst-qa.auth")


@dataclass(frozen=True)
class User:
    """Who a request comes from."""

    name: str
    role: str

    def may(self, role: str) -> bool:
        """Whether this user has ``role`` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


class Accounts:
    """The users of one data home (and the ``server.auth`` admin, when set)."""

    def __init__(self, home: Path, auth: str | None = None):
        self.path = Path(home) / FILE
        self._fixed = tuple(auth.split(":", 1)) if auth else None
        self._lock = threading.Lock()
        self._key = secrets.token_bytes(32)
        self._verified: dict[bytes, tuple[str, float]] = {}
        self._failures: dict[str, tuple[int, float]] = {}
        self._hasher = None

    # ----- the store -----
    @property
    def required(self) -> bool:
        """Whether a login is needed (a ``server.auth`` login or any user)."""
        return self._fixed is not None or bool(self._load())

    def _load(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8")).get("users", {})
        except FileNotFoundError:
            return {}
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
            raise BadQuestion(f"{self.path} is not a users file ({exc}); fix or remove it") from None

    def _save(self, users: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps({"users": users}, indent=2).encode(), 0o600)

    def _ph(self):
        if self._hasher is None:
            from argon2 import PasswordHasher

            self._hasher = PasswordHasher()
        return self._hasher

    def add(self, name: str, role: str, password: str) -> None:
        """Raises BadQuestion: a bad name or role, a password under 8 characters, a name taken."""
        _check(name, role, password)
        with self._lock:
            users = self._load()
            if name in users or (self._fixed and name == self._fixed[0]):
                raise BadQuestion(f"there is already a user {name!r}")
            users[name] = {"role": role, "password": self._ph().hash(password), "tokens": [],
                           "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
            self._save(users)

    @contextmanager
    def _user(self, name: str):
        """The stored user ``name`` to change (the file is written after), under the lock.

        Raises:
            BadQuestion: no such user."""
        with self._lock:
            users = self._load()
            if name not in users:
                raise BadQuestion(f"no user {name!r}")
            yield users
            self._save(users)

    def remove(self, name: str) -> None:
        with self._user(name) as users:
            del users[name]
        self._forget(name)

    def passwd(self, name: str, password: str) -> None:
        with self._user(name) as users:
            _check(name, users[name]["role"], password)
            users[name]["password"] = self._ph().hash(password)
        self._forget(name)

    def token(self, name: str) -> str:
        """A new API token for ``name`` (shown once; only its hash is kept)."""
        tok = "qa_" + secrets.token_urlsafe(32)
        with self._user(name) as users:
            users[name]["tokens"].append(hashlib.sha256(tok.encode()).hexdigest())
        return tok

    def list(self) -> list[dict]:
        out = [{"name": n, "role": u["role"], "tokens": len(u.get("tokens", [])), "created": u.get("created")}
               for n, u in sorted(self._load().items())]
        if self._fixed:
            out.insert(0, {"name": self._fixed[0], "role": "admin", "tokens": 0, "created": None, "from": "server.auth"})
        return out

    def role_of(self, name: str | None) -> User | None:
        """The user ``name`` as the store has it now (a removed user is None)."""
        if not name:
            return None
        if self._fixed and name == self._fixed[0]:
            return User(name, "admin")
        u = self._load().get(name)
        return User(name, u["role"]) if u else None

    # ----- the checks -----
    def login(self, name: str, password: str, where: str = "") -> User | None:
        """The user whose password this is, or None (logged, and the next try waits longer)."""
        name, password = str(name or ""), str(password or "")
        fixed = self._fixed is not None and name == self._fixed[0]
        stored = None if fixed else self._load().get(name)
        # remembered with the stored hash: a password changed by `qa users passwd` is checked again
        mark = hmac.new(self._key, "\0".join([name, password, stored["password"] if stored else ""]).encode(),
                        "sha256").digest()
        seen = self._verified.get(mark)
        if seen and time.monotonic() - seen[1] < REMEMBER:
            return User(name, "admin") if fixed else User(name, stored["role"])
        self._wait(name)
        user = None
        if fixed:
            if secrets.compare_digest(password.encode(), self._fixed[1].encode()):
                user = User(name, "admin")
        elif stored is not None:
            from argon2.exceptions import VerificationError

            try:
                self._ph().verify(stored["password"], password)
                user = User(name, stored["role"])
            except VerificationError:
                user = None
        if user is None:
            self._failed(name, where)
            return None
        self._failures.pop(name, None)
        self._verified[mark] = (name, time.monotonic())
        return user

    def bearer(self, token: str, where: str = "") -> User | None:
        digest = hashlib.sha256(str(token or "").encode()).hexdigest()
        for name, u in self._load().items():
            if any(secrets.compare_digest(digest, t) for t in u.get("tokens", [])):
                return User(name, u["role"])
        self._failed("(token)", where)
        return None

    def from_header(self, header: str | None, where: str = "") -> User | None:
        """The user an ``Authorization`` header (Basic or Bearer) names, or None."""
        scheme, _, value = (header or "").partition(" ")
        if scheme.lower() == "bearer":
            return self.bearer(value.strip(), where)
        if scheme.lower() != "basic":
            return None
        try:
            name, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return self.login(name, password, where) if sep else None

    def _wait(self, name: str) -> None:
        n, _ = self._failures.get(name, (0, 0.0))
        if n:
            time.sleep(min(MAX_BACKOFF, 0.25 * 2 ** (n - 1)))

    def _failed(self, name: str, where: str) -> None:
        n, _ = self._failures.get(name, (0, 0.0))
        self._failures[name] = (n + 1, time.monotonic())
        log.warning("failed login for %r%s (%d in a row)", name[:64], f" from {where}" if where else "", n + 1)

    def _forget(self, name: str) -> None:
        self._verified = {k: v for k, v in self._verified.items() if v[0] != name}


class RateLimit:
    """At most ``per_minute`` questions per user in any 60 seconds (0: no limit)."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._seen: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def take(self, user: str) -> float | None:
        """Count one question of ``user``; None when it may go on, else the seconds to wait."""
        if self.per_minute <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._seen.get(user, []) if now - t < 60.0]
            if len(recent) >= self.per_minute:
                self._seen[user] = recent
                return max(0.0, 60.0 - (now - recent[0]))
            recent.append(now)
            self._seen[user] = recent
            return None


def _check(name: str, role: str, password: str) -> None:
    if not _NAME.match(name or ""):
        raise BadQuestion(f"a user name is 1-64 letters, digits or _ . @ -, got {name!r}")
    if role not in ROLES:
        raise BadQuestion(f"a role is one of {', '.join(ROLES)}, got {role!r}")
    if len(password or "") < 8:
        raise BadQuestion("a password has at least 8 characters")
