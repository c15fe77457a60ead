"""Model fields that keep their value encrypted by the token vault (core/vault.py).

``EncryptedTextField`` holds a ``str``, ``EncryptedJSONField`` any JSON value (a dict of tokens, typically).
Both store ``vault:v1:<key id>:<payload>`` in a text column and give back ``Secret`` wrappers in Python:
``obj.credentials`` prints as ``***``, ``obj.credentials.reveal()`` is the value. Assigning a plain value
wraps it at once, so a half-built instance does not leak either.

What the fields refuse, on purpose:
- filtering on the value (``filter(token=...)``): ciphertexts are randomised, so it could never match;
  only ``isnull`` is allowed. Keep a separate digest column if a lookup by secret is ever needed.
- forms and the admin: the fields are not editable; a connect flow receives the secret in its own form
  field and passes it to a service.
- ``unique``, ``db_index`` and ``primary_key`` (system check errors).
Serializers (``dumpdata``) write the ciphertext, never the plain value; ``loaddata`` reads it back.

The maintenance functions at the end (used by ``portevoix vault``) find every encrypted column through
the app registry, and count, check or re-encrypt what is stored there in batches.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldError
from django.db import models, transaction
from django.db.models.query_utils import DeferredAttribute
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portevoix.core import vault
from portevoix.core.vault import KeyRing, Secret, VaultError, VaultFormatError

if TYPE_CHECKING:
    _FieldBase = models.Field[Any, Any]
else:
    _FieldBase = models.Field

_RAW = "_vault_stored_text"
_TEXT = models.TextField()
OPTIONS_REFUSED = {"primary_key": "primary_key", "unique": "_unique", "db_index": "db_index"}


class SecretAttribute(DeferredAttribute):
    """Wraps whatever is assigned to the field in a ``Secret``."""

    field: EncryptedField

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = self.field.wrap(value)


class EncryptedField(_FieldBase):
    """Base of the encrypted fields: a text column holding a vault ciphertext."""

    descriptor_class = SecretAttribute
    empty_strings_allowed = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.pop("editable", False):
            raise TypeError(f"{type(self).__name__} is never editable in forms: set the value in a service.")
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    # --- What subclasses define -------------------------------------------------------------------

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def check_value(self, value: Any) -> None:
        """Raise TypeError when ``value`` cannot be stored by this field."""

    # --- Python side ------------------------------------------------------------------------------

    def wrap(self, value: Any) -> Secret[Any] | None:
        if value is None or isinstance(value, Secret):
            return value
        self.check_value(value)
        return Secret(value)

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Secret[Any] | None:
        if value is None:
            return None
        return Secret.sealed(value, self.decode)

    def to_python(self, value: Any) -> Secret[Any] | None:
        if vault.is_ciphertext(value):  # deserializing a dump
            return Secret.sealed(value, self.decode)
        return self.wrap(value)

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, Secret):
            unchanged = value.unread_ciphertext()
            if unchanged is not None:
                return unchanged
            value = value.reveal()
        self.check_value(value)
        return vault.encrypt(self.encode(value))

    def value_to_string(self, obj: models.Model) -> Any:
        return self.get_prep_value(self.value_from_object(obj))

    def run_validators(self, value: Any) -> None:
        # Validators see the plain value; a stored one (never revealed) was validated when it was set.
        if isinstance(value, Secret):
            if value.unread_ciphertext() is not None:
                return
            value = value.reveal()
        super().run_validators(value)

    def formfield(self, **kwargs: Any) -> None:
        return None

    # --- Queries ----------------------------------------------------------------------------------

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(self._no_lookup_message(lookup_name))

    def get_transform(self, lookup_name: str) -> Any:
        raise FieldError(self._no_lookup_message(lookup_name))

    def _no_lookup_message(self, lookup_name: str) -> str:
        return (
            f"{self.model._meta.label}.{self.name} is encrypted: it cannot be filtered on "
            f"(lookup '{lookup_name}'); only isnull is supported."
        )

    # --- Migrations and checks --------------------------------------------------------------------

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        options = {name: bool(getattr(self, attribute)) for name, attribute in OPTIONS_REFUSED.items()}
        for option in (name for name, enabled in options.items() if enabled):
            errors.append(
                checks.Error(
                    f"{type(self).__name__} does not support {option}=True: its ciphertexts are randomised, "
                    "so they can be neither compared nor indexed.",
                    obj=self,
                    id="portevoix.E101",
                )
            )
        return errors


class EncryptedTextField(EncryptedField):
    """A ``str`` secret (a bot token, an app password, a webhook URL)."""

    description = gettext_lazy("Encrypted text")

    def check_value(self, value: Any) -> None:
        if not isinstance(value, str):
            raise TypeError(f"{type(self).__name__} stores str values, not {type(value).__name__}.")

    def encode(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def decode(self, data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise VaultFormatError(_("A stored secret is not text: re-connect the channel.")) from None


class EncryptedJSONField(EncryptedField):
    """A JSON secret: typically ``{"access_token": ..., "refresh_token": ..., "expires_at": ...}``."""

    description = gettext_lazy("Encrypted JSON")

    def check_value(self, value: Any) -> None:
        self.encode(value)

    def encode(self, value: Any) -> bytes:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{type(self).__name__} stores JSON values: {exc}") from None
        return text.encode("utf-8")

    def decode(self, data: bytes) -> Any:
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise VaultFormatError(_("A stored secret is not valid JSON: re-connect the channel.")) from None


# --- Maintenance (``portevoix vault``) ------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    model: type[models.Model]
    field: EncryptedField

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


@dataclass(frozen=True)
class Failure:
    pk: Any
    code: str
    message: str  # a VaultError's message: key ids and advice, never a secret


@dataclass
class ColumnReport:
    column: EncryptedColumn
    by_key: Counter[str] = field(default_factory=Counter)
    ok: int = 0
    rotated: int = 0
    unchanged: int = 0
    raced: int = 0  # changed by someone else between the read and the write; run again
    failures: list[Failure] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_key.values())


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted field of the installed models (proxies and inherited columns counted once)."""
    found = [
        EncryptedColumn(model=model, field=model_field)
        for model in apps.get_models()
        if not model._meta.proxy
        for model_field in model._meta.local_concrete_fields
        if isinstance(model_field, EncryptedField)
    ]
    return sorted(found, key=lambda column: column.label)


def _stored_text(column: EncryptedColumn) -> models.ExpressionWrapper[Any]:
    # The column read as plain text: no decryption on the way out.
    return models.ExpressionWrapper(models.F(column.field.attname), output_field=_TEXT)


def stored_batches(column: EncryptedColumn, *, batch_size: int = 500) -> Iterator[list[tuple[Any, str]]]:
    """``(pk, stored ciphertext)`` of every non-null value, in primary key order, ``batch_size`` at a time."""
    manager = column.model._base_manager
    base = (
        manager.filter(**{f"{column.field.attname}__isnull": False})
        .annotate(**{_RAW: _stored_text(column)})
        .order_by("pk")
    )
    last: Any = None
    while True:
        query = base if last is None else base.filter(pk__gt=last)
        rows = list(query.values_list("pk", _RAW)[:batch_size])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


NOT_A_CIPHERTEXT = "(not a vault ciphertext)"


def _key_label(token: str) -> str:
    return vault.key_id_of(token) or NOT_A_CIPHERTEXT


def column_status(column: EncryptedColumn, *, batch_size: int = 500) -> ColumnReport:
    """How many values each key encrypted; reads key ids only, decrypts nothing."""
    report = ColumnReport(column=column)
    for rows in stored_batches(column, batch_size=batch_size):
        report.by_key.update(_key_label(token) for _pk, token in rows)
    return report


def column_check(column: EncryptedColumn, *, ring: KeyRing, batch_size: int = 500) -> ColumnReport:
    """Decrypt and decode every value; failures are collected, values are dropped at once."""
    report = ColumnReport(column=column)
    for rows in stored_batches(column, batch_size=batch_size):
        for pk, token in rows:
            report.by_key[_key_label(token)] += 1
            try:
                column.field.decode(vault.decrypt_bytes(token, ring=ring))
            except VaultError as exc:
                report.failures.append(Failure(pk=pk, code=exc.code, message=exc.message))
            else:
                report.ok += 1
    return report


def column_rotate(column: EncryptedColumn, *, ring: KeyRing, batch_size: int = 500) -> ColumnReport:
    """Re-encrypt with the newest key every value encrypted with another one. Idempotent: values already
    under the newest key are left alone. Each batch commits on its own; a value changed by someone else
    meanwhile is left as they wrote it (a conditional UPDATE on the old ciphertext)."""
    report = ColumnReport(column=column)
    manager = column.model._base_manager
    for rows in stored_batches(column, batch_size=batch_size):
        with transaction.atomic(using=manager.db):
            for pk, token in rows:
                try:
                    new_token = vault.reencrypt(token, ring=ring)
                except VaultError as exc:
                    report.by_key[_key_label(token)] += 1
                    report.failures.append(Failure(pk=pk, code=exc.code, message=exc.message))
                    continue
                if new_token is None:
                    report.unchanged += 1
                    report.by_key[_key_label(token)] += 1
                    continue
                written = (
                    manager.filter(pk=pk)
                    .alias(**{_RAW: _stored_text(column)})
                    .filter(**{_RAW: token})
                    .update(**{column.field.attname: models.Value(new_token, output_field=_TEXT)})
                )
                if written:
                    report.rotated += 1
                    report.by_key[ring.primary.id] += 1
                else:
                    report.raced += 1
    return report
