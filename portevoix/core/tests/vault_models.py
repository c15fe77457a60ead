"""A test-only model with encrypted fields, and fixtures that set the vault's keys.

The model is declared in the ``core`` app while one test module runs (so that ``portevoix vault`` finds
it through the app registry), its table created outside the test transactions, and both removed after
the module: no migration, nothing left in the registry for other tests.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db import connection, models

from portevoix.core import vault
from portevoix.core.fields import EncryptedJSONField, EncryptedTextField

# Fixed test keys (test ids must be the same in every xdist worker).
KEY_A, KEY_B, KEY_C = (base64.urlsafe_b64encode(seed * 32).decode() for seed in (b"\x0a", b"\x0b", b"\x0c"))


def key_id(key: str) -> str:
    return vault.key_entry(key).split(":", 1)[0]


def use_keys(monkeypatch: pytest.MonkeyPatch, *keys: str) -> vault.KeyRing:
    """Configure PORTEVOIX_VAULT_KEYS (newest first) and forget the cached keys."""
    monkeypatch.setenv(vault.ENV_VAR, ",".join(keys))
    vault.reset_cache()
    return vault.keyring()


@pytest.fixture(autouse=True)
def _vault_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every vault test starts with key A only (never the data directory's key file) and a fresh cache."""
    use_keys(monkeypatch, KEY_A)
    yield
    vault.reset_cache()


def _declare() -> type[models.Model]:
    class VaultProbe(models.Model):
        label = models.CharField(max_length=40, default="")
        credentials = EncryptedJSONField(default=dict)
        token = EncryptedTextField(null=True, blank=True)

        class Meta:
            app_label = "core"

        def __str__(self) -> str:
            return self.label

    return VaultProbe


@pytest.fixture(scope="module")
def probe_model(django_db_setup: None, django_db_blocker) -> Iterator[type[models.Model]]:
    model = _declare()
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        editor.create_model(model)
    try:
        yield model
    finally:
        with django_db_blocker.unblock(), connection.schema_editor() as editor:
            editor.delete_model(model)
        del apps.all_models["core"][model._meta.model_name]
        apps.clear_cache()
