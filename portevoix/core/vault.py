"""The token vault: credentials of connected channels, encrypted at rest under a ring of keys.

A stored secret reads ``vault:v1:<key id>:<payload>``: ``payload`` is the URL-safe base64 of a 96-bit
random nonce followed by the AES-256-GCM ciphertext and its tag; the version and the key id are bound to it
as associated data, so neither can be edited without the decryption failing. Why AES-GCM and this format:
docs/decisions/0004-token-vault.md. Operators' guide: docs/security.md.

Keys, newest first (the first one encrypts; every one decrypts):
- ``PORTEVOIX_VAULT_KEYS``: comma-separated entries ``[id:]key``, each key 32 random bytes in URL-safe
  base64 (``portevoix vault generate-key`` makes one). Without an id, a key is known by its fingerprint.
- otherwise the key file ``<PORTEVOIX_DATA_DIR>/vault.keys`` (one entry a line, ``#`` comments), created
  with one key (mode 0600) the first time a secret is encrypted or decrypted.

Keys are read on first use, never at settings import, and cached; ``reset_cache()`` forgets them.

Every failure raises a ``VaultError`` subclass whose message says what to do; no message ever holds a
secret, a ciphertext or key material. Values leave the vault wrapped in ``Secret``, whose ``str()`` and
``repr()`` are ``***``: call ``reveal()`` where the plain value is really needed.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.utils.text import capfirst
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

ENV_VAR = "PORTEVOIX_VAULT_KEYS"
KEY_FILE_NAME = "vault.keys"
PREFIX = "vault"
VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
REDACTED = "***"

KEY_ID_PATTERN = r"[A-Za-z0-9_-]{1,32}"
# What a stored secret looks like, whatever its version (the log filter redacts every match).
TOKEN_RE = re.compile(rf"{PREFIX}:(v[0-9]+):({KEY_ID_PATTERN}):([A-Za-z0-9_-]+)")
_KEY_ID_RE = re.compile(KEY_ID_PATTERN)
_KEY_TEXT_RE = re.compile(r"[A-Za-z0-9_-]{43}=?")
_FINGERPRINT_CONTEXT = b"portevoix-vault-key-id\x00"

KEY_FILE_HEADER = """\
# Portevoix vault keys: one "id:key" a line, newest first. The first key encrypts new secrets; every key
# listed decrypts. Back this file up apart from the database: without it, stored credentials are lost.
# Rotation: docs/security.md.
"""


# --- Errors ---------------------------------------------------------------------------------------


class VaultError(Exception):
    """Base of every vault failure; ``code`` is stable. Messages never hold secrets or key material."""

    code = "vault_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class VaultConfigError(VaultError):
    """The keys cannot be loaded: a malformed entry, an empty variable, an unreadable key file."""

    code = "vault_config"


class VaultKeyMissing(VaultError):
    """The key that encrypted a secret is not configured (any more)."""

    code = "vault_key_missing"

    def __init__(self, message: str, *, key_id: str) -> None:
        super().__init__(message)
        self.key_id = key_id


class VaultDecryptError(VaultError):
    """Authentication failed: the ciphertext was altered, or the key under that id is another key."""

    code = "vault_decrypt_failed"


class VaultFormatError(VaultError):
    """The stored value is not a vault ciphertext this version can read."""

    code = "vault_format"


# --- Keys -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VaultKey:
    id: str
    fingerprint: str
    material: bytes = field(repr=False)

    def __reduce__(self) -> Any:
        raise TypeError("Vault keys are not pickled.")


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[VaultKey, ...]
    source: str  # ENV_VAR, or the path of the key file

    @property
    def primary(self) -> VaultKey:
        return self.keys[0]

    @property
    def from_environment(self) -> bool:
        return self.source == ENV_VAR

    def find(self, key_id: str) -> VaultKey | None:
        """The key with this id; else the key with this fingerprint, so that giving an id-less key an
        id later (or the reverse) leaves what it encrypted readable."""
        for key in self.keys:
            if key.id == key_id:
                return key
        for key in self.keys:
            if key.fingerprint == key_id:
                return key
        return None


def generate_key() -> str:
    """A new key: 32 random bytes in URL-safe base64 (Fernet's key format)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def fingerprint(material: bytes) -> str:
    """The default id of a key: 8 hex digits of a hash of it (it reveals nothing usable about the key)."""
    return hashlib.sha256(_FINGERPRINT_CONTEXT + material).hexdigest()[:8]


def key_entry(key: str) -> str:
    """``id:key``, the line to add to PORTEVOIX_VAULT_KEYS or the key file."""
    return f"{fingerprint(_decode_key(key))}:{key}"


def _decode_key(text: str) -> bytes:
    if not _KEY_TEXT_RE.fullmatch(text):
        raise ValueError("not a key")
    try:
        material = base64.urlsafe_b64decode(text.rstrip("=") + "=")
    except (binascii.Error, ValueError):
        raise ValueError("not a key") from None
    if len(material) != KEY_BYTES:
        raise ValueError("not a key")
    return material


def _describe(source: str) -> str:
    return source if source == ENV_VAR else _("the vault key file %(path)s") % {"path": source}


def parse_keys(entries: Sequence[str], *, source: str) -> KeyRing:
    """Build a ring from ``[id:]key`` entries, newest first. Errors name the entry by its position,
    never by its text (it may be key material)."""
    where = _describe(source)
    how = _("make a key with `portevoix vault generate-key`")
    keys: list[VaultKey] = []
    for position, raw in enumerate(entries, start=1):
        entry = raw.strip()
        key_id, sep, key_text = entry.rpartition(":")
        try:
            material = _decode_key(key_text)
        except ValueError:
            raise VaultConfigError(
                _(
                    "Entry %(n)d of %(where)s is not a valid vault key: each entry is `[id:]key`, the key "
                    "being 32 random bytes in URL-safe base64 (%(how)s)."
                )
                % {"n": position, "where": where, "how": how}
            ) from None
        if sep and not _KEY_ID_RE.fullmatch(key_id):
            raise VaultConfigError(
                _("Entry %(n)d of %(where)s has an invalid key id: use 1 to 32 letters, digits, '-' or '_'.")
                % {"n": position, "where": where}
            )
        key = VaultKey(
            id=key_id if sep else fingerprint(material), fingerprint=fingerprint(material), material=material
        )
        for other in keys:
            if other.material == key.material:
                raise VaultConfigError(
                    _("Entry %(n)d of %(where)s repeats the key of an earlier entry: list each key once.")
                    % {"n": position, "where": where}
                )
            if key.id in (other.id, other.fingerprint) or other.id == key.fingerprint:
                raise VaultConfigError(
                    _("Entry %(n)d of %(where)s reuses the key id %(id)s: give each key its own id.")
                    % {"n": position, "where": where, "id": key.id}
                )
        keys.append(key)
    if not keys:
        raise VaultConfigError(
            capfirst(
                _("%(where)s holds no key: list one or more keys, newest first (%(how)s).")
                % {"where": where, "how": how}
            )
        )
    return KeyRing(keys=tuple(keys), source=source)


def key_file_path() -> Path:
    return Path(settings.DATA_DIR) / KEY_FILE_NAME


def _file_entries(text: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def load_or_create_key_file(path: Path) -> KeyRing:
    """The ring stored at ``path``, creating the file with one new key on first use.

    Several processes may start at once (web, worker, scheduler): each writes a complete file under a
    temporary name and hard-links it into place, which fails if the file exists, so exactly one key
    file appears, whole, and every process reads the same key.
    """
    if not path.exists():
        _create_key_file(path)
    for _attempt in range(50):
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise VaultConfigError(
                _(
                    "The vault key file %(path)s cannot be read (%(reason)s): fix its permissions, restore "
                    "it from your backup, or set %(env)s."
                )
                % {"path": path, "reason": type(exc).__name__, "env": ENV_VAR}
            ) from None
        entries = _file_entries(text)
        if entries:
            _warn_if_exposed(path)
            return parse_keys(entries, source=str(path))
        time.sleep(0.05)  # another process may be writing it (fallback without hard links)
    raise VaultConfigError(
        _(
            "The vault key file %(path)s holds no key. Restore it from your backup (or set %(env)s); if no "
            "secret was ever stored, delete it and a new key is generated."
        )
        % {"path": path, "env": ENV_VAR}
    )


def _write_temporary(directory: Path, content: str) -> str:
    """A new file (mode 0600) in ``directory`` with ``content``, synced; the caller moves or removes it."""
    fd, temporary = tempfile.mkstemp(prefix=".vault.keys.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    content = KEY_FILE_HEADER + key_entry(generate_key()) + "\n"
    temporary = _write_temporary(path.parent, content)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return  # another process created it first: its key wins
    except OSError:
        # No hard links on this filesystem: exclusive create; readers wait until it is written.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(content)
    finally:
        os.unlink(temporary)
    logger.warning(
        "Generated a new vault key in %s. Back this file up apart from the database: the credentials "
        "stored by Portevoix cannot be decrypted without it.",
        path,
    )


def _warn_if_exposed(path: Path) -> None:
    if os.name != "posix":  # pragma: no cover - modes mean nothing there
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        logger.warning(
            "The vault key file %s has mode %o: other users may read it; run chmod 600 on it.", path, mode
        )


def add_key_to_file(path: Path, key: str) -> VaultKey:
    """Put ``key`` first in the key file (creating the file if needed), atomically, mode 0600."""
    load_or_create_key_file(path)  # validates what is there
    entry = key_entry(key)
    lines = path.read_text(encoding="ascii").splitlines(keepends=True)
    first_key = next((i for i, line in enumerate(lines) if _file_entries(line)), len(lines))
    lines.insert(first_key, entry + "\n")
    new_ring = parse_keys(_file_entries("".join(lines)), source=str(path))
    temporary = _write_temporary(path.parent, "".join(lines))
    try:
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    reset_cache()
    return new_ring.primary


def load_keyring() -> KeyRing:
    """Read the keys now: the environment variable when it is set, the key file otherwise."""
    raw = os.environ.get(ENV_VAR)
    if raw is not None:
        entries = [entry for entry in raw.split(",") if entry.strip()]
        if not entries:
            raise VaultConfigError(
                _(
                    "%(env)s is set but empty: set it to your keys, newest first, or unset it to use the key "
                    "file in the data directory."
                )
                % {"env": ENV_VAR}
            )
        return parse_keys(entries, source=ENV_VAR)
    return load_or_create_key_file(key_file_path())


_lock = threading.Lock()
_cached: KeyRing | None = None


def keyring() -> KeyRing:
    """The configured keys, loaded on first use and cached for the life of the process."""
    global _cached
    ring = _cached
    if ring is None:
        with _lock:
            if _cached is None:
                _cached = load_keyring()
            ring = _cached
    return ring


def reset_cache() -> None:
    global _cached
    with _lock:
        _cached = None


def _reload_after_miss(seen: KeyRing) -> KeyRing:
    """Read the keys again (a key may have been added to the key file since they were cached)."""
    global _cached
    with _lock:
        if _cached is seen or _cached is None:
            _cached = load_keyring()
        return _cached


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "DATA_DIR":
        reset_cache()


setting_changed.connect(_on_setting_changed, dispatch_uid="portevoix.core.vault")


# --- Encryption -----------------------------------------------------------------------------------


def _aad(version: str, key_id: str) -> bytes:
    return f"{PREFIX}:{version}:{key_id}".encode("ascii")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def is_ciphertext(value: object) -> bool:
    return isinstance(value, str) and TOKEN_RE.fullmatch(value) is not None


def key_id_of(token: str) -> str | None:
    """The id of the key that encrypted ``token``, read without decrypting; None if it is no token."""
    match = TOKEN_RE.fullmatch(token) if isinstance(token, str) else None
    return match.group(2) if match else None


def _parse(token: str) -> tuple[str, bytes]:
    match = TOKEN_RE.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        raise VaultFormatError(
            _(
                "This stored secret is not in the vault's format (it was altered, or written without the "
                "vault): re-connect the channel to store it again."
            )
        )
    version, key_id, payload = match.groups()
    if version != VERSION:
        raise VaultFormatError(
            _("This secret was stored in vault format %(version)s, which this version cannot read: upgrade.")
            % {"version": version}
        )
    try:
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        data = b""
    if len(data) < NONCE_BYTES + TAG_BYTES:
        raise VaultFormatError(
            _("The secret encrypted with key %(id)s is truncated or damaged: re-connect the channel.")
            % {"id": key_id}
        )
    return key_id, data


def encrypt(plaintext: str | bytes, *, ring: KeyRing | None = None) -> str:
    """Encrypt with the newest key; returns ``vault:v1:<key id>:<payload>``."""
    key = (ring or keyring()).primary
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key.material).encrypt(nonce, data, _aad(VERSION, key.id))
    return f"{PREFIX}:{VERSION}:{key.id}:{_b64encode(nonce + sealed)}"


def decrypt_bytes(token: str, *, ring: KeyRing | None = None) -> bytes:
    key_id, data = _parse(token)
    current = ring or keyring()
    key = current.find(key_id)
    if key is None and ring is None:
        current = _reload_after_miss(current)
        key = current.find(key_id)
    if key is None:
        raise VaultKeyMissing(
            _(
                "The key that encrypted this secret (id %(id)s) is not in %(where)s: restore that key (from "
                "your backup of the keys) or re-connect the channel."
            )
            % {"id": key_id, "where": _describe(current.source)},
            key_id=key_id,
        )
    try:
        return AESGCM(key.material).decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], _aad(VERSION, key_id))
    except InvalidTag:
        raise VaultDecryptError(
            _(
                "The secret encrypted with key %(id)s does not decrypt: it was altered, or the key "
                "configured under that id is not the one that encrypted it. Restore the original key or "
                "re-connect the channel."
            )
            % {"id": key_id}
        ) from None


def decrypt(token: str, *, ring: KeyRing | None = None) -> str:
    data = decrypt_bytes(token, ring=ring)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise VaultFormatError(
            _("The secret encrypted with key %(id)s is not text: re-connect the channel.")
            % {"id": key_id_of(token)}
        ) from None


def reencrypt(token: str, *, ring: KeyRing | None = None) -> str | None:
    """``token`` encrypted again with the newest key, or None when it already is."""
    current = ring or keyring()
    key_id, _data = _parse(token)
    if key_id == current.primary.id:
        return None
    return encrypt(decrypt_bytes(token, ring=ring), ring=current)


# --- Values ---------------------------------------------------------------------------------------

T = TypeVar("T")
_UNREAD: Any = object()


class Secret(Generic[T]):
    """A value that must not leak: ``str()``, ``repr()`` and f-strings show ``***``; ``reveal()`` returns it.

    Values read from the database stay encrypted until ``reveal()`` (which raises a ``VaultError`` if
    they cannot be decrypted), so listing rows never fails because of one unreadable secret. Secrets
    refuse to be pickled (into a cache, a session, a task payload) and are not JSON-serialisable.
    """

    __slots__ = ("__decode", "__token", "__value")

    def __init__(self, value: T) -> None:
        self.__value: T = value
        self.__token: str | None = None
        self.__decode: Callable[[bytes], T] | None = None

    @classmethod
    def sealed(cls, token: str, decode: Callable[[bytes], T]) -> Secret[T]:
        """A secret stored as ``token``, decrypted and decoded on first ``reveal()``."""
        secret: Secret[T] = cls.__new__(cls)
        secret.__value = _UNREAD
        secret.__token = token
        secret.__decode = decode
        return secret

    def reveal(self) -> T:
        if self.__value is _UNREAD:
            assert self.__token is not None
            assert self.__decode is not None
            self.__value = self.__decode(decrypt_bytes(self.__token))
        return self.__value

    @property
    def key_id(self) -> str | None:
        """Id of the key that encrypted the stored value (None for a value not read from storage)."""
        return key_id_of(self.__token) if self.__token is not None else None

    def unread_ciphertext(self) -> str | None:
        """The stored ciphertext while the value has not been revealed (so cannot have been changed in
        place); saving it again then needs no re-encryption."""
        return self.__token if self.__value is _UNREAD else None

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return bool(self.reveal() == other.reveal())

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> Secret[T]:
        return self._clone(self.__value)

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret[T]:
        return self._clone(self.__value if self.__value is _UNREAD else copy.deepcopy(self.__value, memo))

    def _clone(self, value: T) -> Secret[T]:
        clone: Secret[T] = type(self).__new__(type(self))
        clone.__value = value
        clone.__token = self.__token
        clone.__decode = self.__decode
        return clone

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError(
            "A Secret cannot be pickled (it would leave the vault in clear): keep the row's id and load it."
        )
