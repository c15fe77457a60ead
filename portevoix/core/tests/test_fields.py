"""EncryptedJSONField and EncryptedTextField through the ORM, on the real database."""

from __future__ import annotations

import copy
import json
import pickle

import pytest
from django.core import serializers
from django.core.exceptions import FieldError, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import connection
from django.forms.models import model_to_dict, modelform_factory
from django.views.debug import ExceptionReporter

from portevoix.core import vault
from portevoix.core.fields import EncryptedJSONField, EncryptedTextField
from portevoix.core.tests.vault_models import KEY_A, KEY_B, _vault_keys, key_id, probe_model, use_keys
from portevoix.core.vault import Secret, VaultKeyMissing

__all__ = ["_vault_keys", "probe_model"]

pytestmark = pytest.mark.django_db

CREDENTIALS = {"access_token": "at-7f3c9a1e-plain", "refresh_token": "rt-0b8d2c44-plain", "expires_in": 3600}
BOT_TOKEN = "123456:bot-token-plain-e4d1"


def stored(model, pk, column: str) -> str | None:
    """What the database really holds, read with SQL (no field conversion)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_create_and_read_back(probe_model):
    obj = probe_model.objects.create(label="x", credentials=CREDENTIALS, token=BOT_TOKEN)

    raw = stored(probe_model, obj.pk, "credentials")
    assert raw.startswith(f"vault:v1:{key_id(KEY_A)}:")
    assert "at-7f3c9a1e" not in raw
    assert "123456:bot" not in stored(probe_model, obj.pk, "token")

    again = probe_model.objects.get(pk=obj.pk)
    assert isinstance(again.credentials, Secret)
    assert again.credentials.reveal() == CREDENTIALS
    assert again.token.reveal() == BOT_TOKEN
    assert again.credentials.key_id == key_id(KEY_A)


def test_the_same_value_encrypts_differently_each_time(probe_model):
    one = probe_model.objects.create(token=BOT_TOKEN)
    two = probe_model.objects.create(token=BOT_TOKEN)
    assert stored(probe_model, one.pk, "token") != stored(probe_model, two.pk, "token")


def test_assigned_values_are_wrapped_at_once(probe_model):
    obj = probe_model(label="x", credentials=CREDENTIALS)
    obj.token = BOT_TOKEN
    assert isinstance(obj.credentials, Secret)
    assert isinstance(obj.token, Secret)
    assert "plain" not in repr(obj.__dict__)
    assert "plain" not in f"{obj.token} {obj.credentials!r} {obj.token!s}"
    assert str(obj.token) == "***"


def test_update_by_assignment_and_save(probe_model):
    obj = probe_model.objects.create(credentials=CREDENTIALS, token=BOT_TOKEN)
    obj = probe_model.objects.get(pk=obj.pk)
    obj.token = "new-token"
    obj.save()

    assert probe_model.objects.get(pk=obj.pk).token.reveal() == "new-token"
    assert probe_model.objects.get(pk=obj.pk).credentials.reveal() == CREDENTIALS


def test_saving_untouched_secrets_keeps_the_stored_ciphertext(probe_model):
    obj = probe_model.objects.create(credentials=CREDENTIALS, token=BOT_TOKEN)
    before = stored(probe_model, obj.pk, "credentials")
    loaded = probe_model.objects.get(pk=obj.pk)
    loaded.label = "renamed"
    loaded.save()
    assert stored(probe_model, obj.pk, "credentials") == before


def test_saving_untouched_secrets_works_even_without_their_key(probe_model, monkeypatch):
    obj = probe_model.objects.create(credentials=CREDENTIALS)
    use_keys(monkeypatch, KEY_B)
    loaded = probe_model.objects.get(pk=obj.pk)  # listing and loading never decrypt
    loaded.label = "renamed"
    loaded.save()
    use_keys(monkeypatch, KEY_A)
    assert probe_model.objects.get(pk=obj.pk).credentials.reveal() == CREDENTIALS


def test_a_value_changed_in_place_after_reveal_is_saved(probe_model):
    obj = probe_model.objects.create(credentials=CREDENTIALS)
    loaded = probe_model.objects.get(pk=obj.pk)
    loaded.credentials.reveal()["access_token"] = "rotated-by-network"
    loaded.save()
    assert probe_model.objects.get(pk=obj.pk).credentials.reveal()["access_token"] == "rotated-by-network"


def test_queryset_update_bulk_create_and_null(probe_model):
    probe_model.objects.bulk_create(
        [probe_model(label="a", credentials={"n": 1}), probe_model(label="b", credentials={"n": 2})]
    )
    probe_model.objects.filter(label="a").update(credentials={"n": 10}, token="t")
    rows = {row.label: row for row in probe_model.objects.all()}
    assert rows["a"].credentials.reveal() == {"n": 10}
    assert rows["a"].token.reveal() == "t"
    assert rows["b"].credentials.reveal() == {"n": 2}
    assert rows["b"].token is None
    assert stored(probe_model, rows["b"].pk, "token") is None
    assert list(probe_model.objects.filter(token__isnull=True).values_list("label", flat=True)) == ["b"]


def test_values_and_values_list_give_secrets(probe_model):
    probe_model.objects.create(label="x", credentials=CREDENTIALS, token=BOT_TOKEN)

    row = probe_model.objects.values("label", "credentials", "token").get()
    assert row["credentials"].reveal() == CREDENTIALS
    assert row["token"].reveal() == BOT_TOKEN
    assert "plain" not in repr(row)

    tokens = probe_model.objects.values_list("token", flat=True)
    assert [token.reveal() for token in tokens] == [BOT_TOKEN]
    assert "plain" not in repr(tokens)


def test_filtering_on_a_secret_is_refused(probe_model):
    for lookup in ({"token": BOT_TOKEN}, {"token__startswith": "1"}, {"credentials__access_token": "x"}):
        with pytest.raises(FieldError, match="is encrypted: it cannot be filtered on"):
            list(probe_model.objects.filter(**lookup))


def test_unreadable_secret_fails_on_reveal_only(probe_model, monkeypatch):
    probe_model.objects.create(label="x", credentials=CREDENTIALS)
    use_keys(monkeypatch, KEY_B)

    obj = probe_model.objects.get()  # still loads: a list page keeps working
    with pytest.raises(VaultKeyMissing, match=key_id(KEY_A)):
        obj.credentials.reveal()


def test_json_field_refuses_values_it_cannot_store(probe_model):
    with pytest.raises(TypeError, match="stores JSON values"):
        probe_model(credentials={"when": object()})
    with pytest.raises(TypeError, match="stores str values"):
        probe_model(token=42)


def test_full_clean_runs_validators_on_plain_values_and_never_decrypts_stored_ones(probe_model, monkeypatch):
    field = probe_model._meta.get_field("token")
    monkeypatch.setattr(field, "validators", [MaxLengthValidator(5)])
    obj = probe_model(label="x", token="too long for five")
    with pytest.raises(ValidationError) as excinfo:
        obj.full_clean()
    assert "too long" not in str(excinfo.value)
    obj.token = "short"
    obj.full_clean()
    obj.save()

    use_keys(monkeypatch, KEY_B)  # the stored value cannot be decrypted now, and need not be
    probe_model.objects.get(pk=obj.pk).full_clean()


# --- What must not leak --------------------------------------------------------------------------


def test_forms_and_model_to_dict_leave_the_fields_out(probe_model):
    form_class = modelform_factory(probe_model, fields="__all__")
    assert set(form_class.base_fields) == {"label"}
    obj = probe_model.objects.create(label="x", credentials=CREDENTIALS, token=BOT_TOKEN)
    assert model_to_dict(obj) == {"id": obj.pk, "label": "x"}


def test_the_admin_cannot_show_the_plain_value(probe_model):
    from django.contrib.admin.utils import display_for_field

    obj = probe_model.objects.create(token=BOT_TOKEN)
    field = probe_model._meta.get_field("token")
    assert display_for_field(obj.token, field, "-") == "***"


def test_serializers_write_ciphertext_and_read_it_back(probe_model):
    obj = probe_model.objects.create(label="x", credentials=CREDENTIALS, token=BOT_TOKEN)
    dumped = serializers.serialize("json", probe_model.objects.all())
    assert "plain" not in dumped
    fields = json.loads(dumped)[0]["fields"]
    assert vault.is_ciphertext(fields["credentials"])
    assert vault.is_ciphertext(fields["token"])

    probe_model.objects.all().delete()
    for restored in serializers.deserialize("json", dumped):
        restored.save()
    again = probe_model.objects.get(pk=obj.pk)
    assert again.credentials.reveal() == CREDENTIALS
    assert stored(probe_model, obj.pk, "token") == fields["token"]  # restored byte for byte


def test_the_error_page_shows_no_secret(probe_model, rf):
    obj = probe_model.objects.create(token=BOT_TOKEN)
    token = obj.token
    token.reveal()
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        reporter = ExceptionReporter(rf.get("/"), type(exc), exc, exc.__traceback__)
        html = reporter.get_traceback_html()
        text = reporter.get_traceback_text()
    assert "Secret(***)" in html
    assert BOT_TOKEN not in html  # source lines are shown, so the literal is not repeated here
    assert BOT_TOKEN not in text


def test_secrets_refuse_pickling_but_copy(probe_model):
    obj = probe_model.objects.create(credentials=CREDENTIALS)
    loaded = probe_model.objects.get(pk=obj.pk)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(loaded)
    duplicate = copy.deepcopy(loaded)
    assert duplicate.credentials.reveal() == CREDENTIALS
    assert duplicate.credentials.reveal() is not loaded.credentials.reveal()
    assert copy.copy(loaded.credentials) == loaded.credentials
    with pytest.raises(TypeError):
        json.dumps({"credentials": loaded.credentials})


# --- Migrations and checks ------------------------------------------------------------------------


def test_deconstruct_round_trips():
    field = EncryptedJSONField(default=dict, null=True)
    _name, path, args, kwargs = field.deconstruct()
    assert path == "portevoix.core.fields.EncryptedJSONField"
    assert kwargs == {"default": dict, "null": True}
    rebuilt = EncryptedJSONField(*args, **kwargs)
    assert rebuilt.editable is False
    assert EncryptedTextField().deconstruct()[3] == {}


def test_editable_true_is_refused():
    with pytest.raises(TypeError, match="never editable"):
        EncryptedTextField(editable=True)


def test_unique_and_index_are_check_errors(probe_model):
    field = EncryptedTextField(unique=True, db_index=True)
    field.set_attributes_from_name("token")
    field.model = probe_model
    errors = field.check()
    assert [error.id for error in errors] == ["portevoix.E101", "portevoix.E101"]
    assert not probe_model._meta.get_field("token").check()
