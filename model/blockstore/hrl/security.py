"""Who may send logs: credentials, the replica server's policy and the log MAC (REQ-35, 36).

A :class:`Credential` stands for a server's Kerberos or certificate key
(REQ-35); a :class:`ReplicaServerPolicy` holds the keys the replica server
trusts and its :class:`AuthorizationEntry` list (REQ-36). Every log of the
model's format (inspired by [MS-HRL]) ends with an HMAC-SHA-256 under the
source server's key, covering the authentication method too.
"""
from __future__ import annotations

import fnmatch
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .errors import LogAuthenticationFailed, LogUnauthorized
from .records import VERSION, _name_problem

__all__ = ["AUTH_METHODS", "Credential", "AuthorizationEntry", "ReplicaServerPolicy"]

#: How host-to-host replication is authenticated (REQ-35).
AUTH_METHODS = ("kerberos", "certificate")
_MIN_KEY_BYTES = 16


@dataclass(frozen=True)
class Credential:
    """A server's authentication key: stands for the Kerberos session key or the certificate key.

    The key is never shown in the repr.

    >>> Credential("hv1.contoso.com", b"k" * 32, "certificate")
    Credential(server='hv1.contoso.com', method='certificate')
    >>> Credential("hv1.contoso.com", b"k" * 32, "ntlm")
    Traceback (most recent call last):
    ValueError: method must be one of ('kerberos', 'certificate'), got 'ntlm'
    """

    server: str
    key: bytes = field(repr=False)
    method: str

    def __post_init__(self) -> None:
        problem = _name_problem("server", self.server)
        if problem:
            raise ValueError(problem)
        if self.method not in AUTH_METHODS:
            raise ValueError(f"method must be one of {AUTH_METHODS}, got {self.method!r}")
        if not isinstance(self.key, bytes) or len(self.key) < _MIN_KEY_BYTES:
            raise ValueError(f"key must be at least {_MIN_KEY_BYTES} bytes")


def _pattern_problem(pattern: object) -> str | None:
    if not isinstance(pattern, str) or not pattern:
        return f"server_pattern must be a non-empty str, got {pattern!r}"
    exact = pattern.removeprefix("*.")
    if not exact or any(c in exact for c in "*?[]"):
        return f"server_pattern must be a server name or '*.domain', got {pattern!r}"
    return None


@dataclass(frozen=True)
class AuthorizationEntry:
    """One primary server (or ``*.domain``) the replica accepts, with its storage and trust group.

    >>> AuthorizationEntry("*.contoso.com", "/replica", "dc").matches("HV1.Contoso.com")
    True
    >>> AuthorizationEntry("hv1.contoso.com", "/replica", "dc").matches("hv2.contoso.com")
    False
    """

    server_pattern: str
    storage_location: str
    trust_group: str

    def __post_init__(self) -> None:
        problem = _pattern_problem(self.server_pattern)
        if problem is None and not (self.storage_location and self.trust_group):
            problem = "storage_location and trust_group must be non-empty"
        if problem:
            raise ValueError(problem)

    @property
    def is_wildcard(self) -> bool:
        return self.server_pattern.startswith("*.")

    def matches(self, server: str) -> bool:
        """Whether ``server`` is this entry's server (names compare case-insensitively, as DNS)."""
        return fnmatch.fnmatchcase(server.lower(), self.server_pattern.lower())


@dataclass(frozen=True)
class ReplicaServerPolicy:
    """What the replica server trusts: keys of authenticated servers and its authorization entries.

    ``credentials`` maps a server name to the key the replica holds for it; with
    ``allow_any_authenticated`` any server that authenticates is accepted into
    the default storage.

    >>> key = Credential("hv9.fabrikam.com", b"k" * 32, "kerberos")
    >>> strict = ReplicaServerPolicy({key.server: key}, ())
    >>> strict.authorize("hv9.fabrikam.com")
    Traceback (most recent call last):
    hvr_model.blockstore.hrl.errors.LogUnauthorized: server 'hv9.fabrikam.com' matches no authorization entry (field: source_server)
    >>> print(ReplicaServerPolicy({key.server: key}, (), allow_any_authenticated=True)
    ...       .authorize("hv9.fabrikam.com"))
    None
    """

    credentials: Mapping[str, Credential]
    entries: tuple[AuthorizationEntry, ...]
    allow_any_authenticated: bool = False

    def __post_init__(self) -> None:
        credentials = dict(self.credentials)
        for name, credential in credentials.items():
            if not isinstance(credential, Credential) or credential.server != name:
                raise ValueError(f"credentials[{name!r}] must be a Credential for server {name!r}")
        object.__setattr__(self, "credentials", MappingProxyType(credentials))
        object.__setattr__(self, "entries", tuple(self.entries))
        if not all(isinstance(e, AuthorizationEntry) for e in self.entries):
            raise ValueError("entries must be AuthorizationEntry values")

    def credential_for(self, server: str) -> Credential:
        """The key the replica holds for ``server``; LogAuthenticationFailed when it has none."""
        credential = self.credentials.get(server)
        if credential is None:
            raise LogAuthenticationFailed(f"no key for server {server!r}", field="source_server")
        return credential

    def authorize(self, server: str) -> AuthorizationEntry | None:
        """The entry that authorizes ``server`` (exact names before wildcards, then in order).

        Returns None when no entry matches but any authenticated server is
        allowed (default storage); raises LogUnauthorized otherwise.
        """
        ordered = sorted(self.entries, key=lambda e: e.is_wildcard)
        entry = next((e for e in ordered if e.matches(server)), None)
        if entry is None and not self.allow_any_authenticated:
            raise LogUnauthorized(f"server {server!r} matches no authorization entry",
                                  field="source_server")
        return entry


def _mac(credential: Credential, signed: memoryview | bytes) -> bytes:
    """HMAC-SHA-256 over a context naming the method, then the signed bytes."""
    mac = hmac.new(credential.key, _mac_context(credential), hashlib.sha256)
    mac.update(signed)
    return mac.digest()


def _mac_context(credential: Credential) -> bytes:
    return b"hvr-model hrl v%d %s\0" % (VERSION, credential.method.encode())
