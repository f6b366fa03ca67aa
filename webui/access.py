"""Who may use a running app: listening beyond this computer needs a login or an explicit
``--public``, and wrong passwords are slowed down."""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections.abc import Callable

__all__ = ["LoginThrottle", "is_loopback", "parse_auth", "public_notice", "sharing_refusal"]


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'user:password' -> (user, password); None for no value; ValueError for anything else."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth must look like user:password")
    return user, password


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this computer (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name that may resolve to any interface


def sharing_refusal(host: str, has_login: bool, public: bool) -> str | None:
    """Why the app must not start this way (None when it may): beyond loopback it needs a login,
    unless the person running it said ``--public``."""
    if is_loopback(host) or has_login or public:
        return None
    return (f"refusing to listen on {host} without a login: anyone who can reach this port could search the "
            f"index and read every indexed file. Add --auth USER:PASSWORD (or set JUSTICE_SEARCH_AUTH), "
            f"or --public if that is what you mean.")


def public_notice(host: str, port: int) -> str:
    """What ``--public`` exposes, said when the app starts."""
    return (f"PUBLIC: listening on {host}:{port} without a login. Anyone who can reach this port can ask "
            f"questions, read every indexed corpus file at /corpus/..., download briefing notes and call the "
            f"JSON APIs at /api/ (search, compare) and /gradio_api/ (ask).")


class LoginThrottle:
    """Gradio's ``auth`` callable for one user and password: after ``max_failures`` wrong tries
    within ``window`` seconds, every try (even a right one) is refused for ``lockout`` seconds.

    Gradio's auth hook sees the user name and password but not the client's address, so the
    limit is per user name (and one shared count for unknown names), which bounds guessing
    from anywhere; a locked-out owner waits ``lockout`` seconds."""

    def __init__(self, user: str, password: str, *, max_failures: int = 5, window: float = 300.0,
                 lockout: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._user, self._password = user, password
        self.max_failures, self.window, self.lockout = max_failures, window, lockout
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, user: str, password: str) -> bool:
        key = user if user == self._user else ""
        now = self._clock()
        with self._lock:
            if self._locked_until.get(key, 0.0) > now:
                return False
            right = (hmac.compare_digest(str(user).encode(), self._user.encode())
                     & hmac.compare_digest(str(password).encode(), self._password.encode()))
            if right:
                self._failures.pop(key, None)
                return True
            recent = [t for t in self._failures.get(key, []) if now - t < self.window] + [now]
            self._failures[key] = recent
            if len(recent) >= self.max_failures:
                self._locked_until[key] = now + self.lockout
                self._failures[key] = []
            return False
