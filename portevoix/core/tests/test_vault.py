"""The token vault: keys, encryption, failures, the key file, `portevoix vault`, and the log filter."""

from __future__ import annotations

import base64
import io
import logging
import stat
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db.models import TextField, Value

from portevoix.core import vault
from portevoix.core.log_filters import RedactSecretsFilter, redact
from portevoix.core.tests.vault_models import KEY_A, KEY_B, KEY_C, _vault_keys, key_id, probe_model, use_keys
from portevoix.core.vault import (
    Secret,
    VaultConfigError,
    VaultDecryptError,
    VaultFormatError,
    VaultKeyMissing,
)

__all__ = ["_vault_keys", "probe_model"]

PLAIN = "oauth-access-token-5e1f-plain"


def tamper(token: str) -> str:
    """Change one character well inside the payload (the last one may only carry padding bits)."""
    index = len(token) - 10
    return token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]


# --- Encryption -----------------------------------------------------------------------------------


def test_round_trip_and_format():
    token = vault.encrypt(PLAIN)
    prefix, version, kid, payload = token.split(":")
    assert (prefix, version, kid) == ("vault", "v1", key_id(KEY_A))
    assert PLAIN not in token
    assert vault.decrypt(token) == PLAIN
    assert vault.decrypt(vault.encrypt("")) == ""
    assert vault.decrypt(vault.encrypt("ünïcödé ✓")) == "ünïcödé ✓"
    assert len(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) == 12 + len(PLAIN) + 16


def test_explicit_key_ids_are_used_and_fingerprints_still_match(monkeypatch):
    use_keys(monkeypatch, f"main-2026:{KEY_A}")
    labelled = vault.encrypt(PLAIN)
    assert vault.key_id_of(labelled) == "main-2026"
    use_keys(monkeypatch, KEY_A)
    unlabelled = vault.encrypt(PLAIN)
    # Adding or dropping a label keeps id-less ciphertexts readable: they are found by fingerprint.
    use_keys(monkeypatch, f"main-2026:{KEY_A}")
    assert vault.decrypt(unlabelled) == PLAIN
    assert vault.decrypt(labelled) == PLAIN


def test_older_keys_still_decrypt_newest_encrypts(monkeypatch):
    old = vault.encrypt(PLAIN)
    use_keys(monkeypatch, KEY_B, KEY_A)
    assert vault.decrypt(old) == PLAIN
    new = vault.encrypt(PLAIN)
    assert vault.key_id_of(new) == key_id(KEY_B)
    assert vault.reencrypt(new) is None
    rotated = vault.reencrypt(old)
    assert vault.key_id_of(rotated) == key_id(KEY_B)
    use_keys(monkeypatch, KEY_B)
    assert vault.decrypt(rotated) == PLAIN


# --- Failing closed -------------------------------------------------------------------------------


def test_missing_key_fails_closed_with_advice(monkeypatch):
    token = vault.encrypt(PLAIN)
    use_keys(monkeypatch, KEY_B)
    with pytest.raises(VaultKeyMissing) as excinfo:
        vault.decrypt(token)
    message = str(excinfo.value)
    assert f"(id {key_id(KEY_A)}) is not in PORTEVOIX_VAULT_KEYS" in message
    assert "re-connect the channel" in message
    assert excinfo.value.key_id == key_id(KEY_A)
    for leaked in (PLAIN, token, KEY_A, KEY_B):
        assert leaked not in message


def test_tampered_ciphertext_fails():
    token = vault.encrypt(PLAIN)
    with pytest.raises(VaultDecryptError, match="does not decrypt: it was altered") as excinfo:
        vault.decrypt(tamper(token))
    assert PLAIN not in str(excinfo.value)


def test_moving_a_ciphertext_under_another_key_id_fails(monkeypatch):
    use_keys(monkeypatch, f"one:{KEY_A}", f"two:{KEY_B}")
    token = vault.encrypt(PLAIN)
    with pytest.raises(VaultDecryptError):
        vault.decrypt(token.replace(":one:", ":two:"))


def test_wrong_key_under_the_right_id_fails(monkeypatch):
    use_keys(monkeypatch, f"prod:{KEY_A}")
    token = vault.encrypt(PLAIN)
    use_keys(monkeypatch, f"prod:{KEY_B}")
    with pytest.raises(VaultDecryptError, match="Restore the original key"):
        vault.decrypt(token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "plain text",
        "vault:v1:abc",
        "vault:v1:abc:short",
        "vault:v1:a b:" + "A" * 40,
        "vault:v9:abc:" + "A" * 40,
    ],
)
def test_malformed_ciphertexts_fail(token):
    with pytest.raises(VaultFormatError):
        vault.decrypt(token)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("not-a-key", "Entry 1 of PORTEVOIX_VAULT_KEYS is not a valid vault key"),
        (f"{KEY_A},{KEY_B[:-5]}", "Entry 2 of PORTEVOIX_VAULT_KEYS is not a valid vault key"),
        (base64.urlsafe_b64encode(b"x" * 16).decode(), "is not a valid vault key"),
        (f"bad id!:{KEY_A}", "Entry 1 of PORTEVOIX_VAULT_KEYS has an invalid key id"),
        (f"{KEY_A},{KEY_A}", "Entry 2 of PORTEVOIX_VAULT_KEYS repeats the key"),
        (f"x:{KEY_A},x:{KEY_B}", "reuses the key id x"),
        ("", "PORTEVOIX_VAULT_KEYS is set but empty"),
        (" , ", "PORTEVOIX_VAULT_KEYS is set but empty"),
    ],
    ids=["garbage", "truncated", "16-bytes", "bad-id", "repeated", "same-id", "empty", "blank"],
)
def test_malformed_keys_in_the_environment_fail(monkeypatch, value, expected):
    monkeypatch.setenv(vault.ENV_VAR, value)
    vault.reset_cache()
    with pytest.raises(VaultConfigError, match=expected) as excinfo:
        vault.encrypt(PLAIN)
    assert KEY_A not in str(excinfo.value)
    assert KEY_B[:-5] not in str(excinfo.value)


# --- The key file ---------------------------------------------------------------------------------


@pytest.fixture
def key_file(monkeypatch, settings, tmp_path):
    """No PORTEVOIX_VAULT_KEYS: the keys come from <DATA_DIR>/vault.keys."""
    monkeypatch.delenv(vault.ENV_VAR)
    settings.DATA_DIR = tmp_path
    vault.reset_cache()
    return tmp_path / vault.KEY_FILE_NAME


def test_key_file_is_created_on_first_use_only(key_file):
    assert not key_file.exists()  # loading settings or the module reads nothing
    token = vault.encrypt(PLAIN)
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    ring = vault.keyring()
    assert ring.source == str(key_file)
    assert len(ring.keys) == 1
    assert vault.key_id_of(token) == ring.primary.id
    vault.reset_cache()
    assert vault.decrypt(token) == PLAIN  # read back from the file


def test_concurrent_first_use_creates_one_key(tmp_path):
    path = tmp_path / vault.KEY_FILE_NAME
    barrier = threading.Barrier(16)
    rings: list[vault.KeyRing] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            rings.append(vault.load_or_create_key_file(path))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(rings) == 16
    assert {ring.primary.material for ring in rings} == {rings[0].primary.material}
    assert len(vault._file_entries(path.read_text())) == 1
    assert [p.name for p in tmp_path.iterdir()] == [vault.KEY_FILE_NAME]  # no temporary file left


def test_empty_key_file_fails_closed(key_file, monkeypatch):
    key_file.write_text("# nothing here\n")
    monkeypatch.setattr(vault.time, "sleep", lambda _seconds: None)
    with pytest.raises(VaultConfigError, match=r"holds no key\. Restore it from your backup"):
        vault.encrypt(PLAIN)


def test_exposed_key_file_is_reported(key_file, caplog):
    vault.encrypt(PLAIN)
    key_file.chmod(0o644)
    vault.reset_cache()
    with caplog.at_level(logging.WARNING, logger="portevoix.core.vault"):
        vault.keyring()
    assert "other users may read it; run chmod 600" in caplog.text


def test_generate_key_add_puts_the_key_first_and_running_processes_pick_it_up(key_file):
    old_token = vault.encrypt(PLAIN)
    cached = vault.keyring()

    out = io.StringIO()
    call_command("vault", "generate-key", "--add", stdout=out)
    new_ring = vault.load_or_create_key_file(key_file)
    assert len(new_ring.keys) == 2
    assert f"Added key {new_ring.primary.id} first" in out.getvalue()
    assert new_ring.keys[1].material == cached.primary.material
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith("# Portevoix vault keys")

    # Another process still holding the old ring meets a secret encrypted with the new key: it reloads.
    new_token = vault.encrypt(PLAIN, ring=new_ring)
    vault._cached = cached
    assert vault.decrypt(new_token) == PLAIN
    assert vault.decrypt(old_token) == PLAIN


def test_generate_key_prints_a_valid_entry_without_touching_anything(key_file):
    out, err = io.StringIO(), io.StringIO()
    call_command("vault", "generate-key", stdout=out, stderr=err)
    entry = out.getvalue().strip()
    ring = vault.parse_keys([entry], source=vault.ENV_VAR)
    assert ring.primary.id == entry.split(":")[0]
    assert "Add this entry to PORTEVOIX_VAULT_KEYS" in err.getvalue()
    assert not key_file.exists()


def test_generate_key_add_refuses_when_keys_come_from_the_environment():
    with pytest.raises(CommandError, match="add the key there"):
        call_command("vault", "generate-key", "--add", stdout=io.StringIO())


# --- `portevoix vault` on stored secrets -----------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("vault", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def assert_no_secret(text: str) -> None:
    for leaked in (PLAIN, "refresh-plain", KEY_A, KEY_B, KEY_C, "vault:v1:"):
        assert leaked not in text


@pytest.mark.django_db
def test_rotate_then_drop_the_old_key(probe_model, monkeypatch):
    for number in range(7):
        probe_model.objects.create(
            label=f"p{number}",
            credentials={"access_token": PLAIN, "refresh_token": "refresh-plain", "n": number},
            token=PLAIN if number % 2 else None,
        )
    use_keys(monkeypatch, KEY_B, KEY_A)
    probe_model.objects.create(label="new", credentials={"n": 99}, token=PLAIN)  # already under B

    out, err = run("status")
    assert f"{key_id(KEY_B)}  (encrypts new secrets)" in out
    assert "core.VaultProbe.credentials: 8 secret(s)" in out
    assert "core.VaultProbe.token: 4 secret(s)" in out
    assert f"  {key_id(KEY_A)}: 10\n" in out
    assert f"  {key_id(KEY_B)}: 2\n" in out
    assert "10 secret(s) use an older key" in out
    assert_no_secret(out + err)

    out, err = run("rotate", "--batch-size", "3")
    assert "core.VaultProbe.credentials: 7 re-encrypted, 1 already current, 0 failed" in out
    assert "core.VaultProbe.token: 3 re-encrypted, 1 already current, 0 failed" in out
    assert "Re-encrypted 10 secret(s)." in out
    assert_no_secret(out + err)

    out, _err = run("rotate")  # idempotent
    assert "Re-encrypted 0 secret(s)." in out
    assert "credentials: 0 re-encrypted, 8 already current" in out

    out, _err = run("status")
    assert f"  {key_id(KEY_A)}: 0\n" in out
    assert "Every stored secret uses the newest key." in out

    use_keys(monkeypatch, KEY_B)  # the old key is gone: everything still decrypts
    out, err = run("check")
    assert "core.VaultProbe.credentials: 8 ok, 0 failed" in out
    assert "Every stored secret decrypts." in out
    assert_no_secret(out + err)
    for obj in probe_model.objects.all():
        credentials = obj.credentials.reveal()
        if obj.label == "new":
            assert credentials == {"n": 99}
        else:
            assert credentials["access_token"] == PLAIN
        assert obj.token is None or obj.token.reveal() == PLAIN


@pytest.mark.django_db
def test_check_and_rotate_report_unreadable_secrets_by_row(probe_model, monkeypatch):
    kept = probe_model.objects.create(label="kept", credentials={"access_token": PLAIN})
    use_keys(monkeypatch, KEY_C)
    lost = probe_model.objects.create(label="lost", credentials={"access_token": PLAIN})
    use_keys(monkeypatch, KEY_B, KEY_A)  # C is not configured any more

    out, err = run("status")
    assert f"  {key_id(KEY_C)}: 1  NOT CONFIGURED" in out

    out_buffer, err_buffer = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=r"1 stored secret\(s\) cannot be decrypted"):
        call_command("vault", "check", stdout=out_buffer, stderr=err_buffer)
    out, err = out_buffer.getvalue(), err_buffer.getvalue()
    assert f"core.VaultProbe.credentials pk={lost.pk}: vault_key_missing:" in err
    assert f"(id {key_id(KEY_C)})" in err
    assert "core.VaultProbe.credentials: 1 ok, 1 failed" in out
    assert_no_secret(out + err)

    with pytest.raises(CommandError, match="could not be re-encrypted"):
        call_command("vault", "rotate", stdout=io.StringIO(), stderr=io.StringIO())
    assert probe_model.objects.get(pk=kept.pk).credentials.key_id == key_id(KEY_B)  # the rest went on


@pytest.mark.django_db
def test_tampered_row_is_reported_by_check(probe_model):
    obj = probe_model.objects.create(label="x", token=PLAIN)
    tampered = tamper(probe_model.objects.values_list("token", flat=True).get().unread_ciphertext())
    probe_model.objects.filter(pk=obj.pk).update(token=Secret.sealed(tampered, bytes.decode))

    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("vault", "check", stdout=io.StringIO(), stderr=err)
    assert f"core.VaultProbe.token pk={obj.pk}: vault_decrypt_failed" in err.getvalue()
    assert_no_secret(err.getvalue())


@pytest.mark.django_db
def test_values_written_around_the_vault_are_reported(probe_model):
    obj = probe_model.objects.create(label="x", token=PLAIN)
    probe_model.objects.filter(pk=obj.pk).update(token=Value("written-in-clear", output_field=TextField()))

    out, _err = run("status")
    assert "  (not a vault ciphertext): 1  run `portevoix vault check`" in out
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("vault", "check", stdout=io.StringIO(), stderr=err)
    assert f"core.VaultProbe.token pk={obj.pk}: vault_format" in err.getvalue()
    assert "written-in-clear" not in err.getvalue()
    with pytest.raises(VaultFormatError):
        probe_model.objects.get(pk=obj.pk).token.reveal()


@pytest.mark.django_db
def test_malformed_key_configuration_is_a_clean_command_error(monkeypatch):
    monkeypatch.setenv(vault.ENV_VAR, "nope")
    vault.reset_cache()
    with pytest.raises(CommandError, match="Entry 1 of PORTEVOIX_VAULT_KEYS is not a valid vault key"):
        call_command("vault", "status", stdout=io.StringIO())


# --- Secret ---------------------------------------------------------------------------------------


def test_secret_hides_its_value():
    secret = Secret({"access_token": PLAIN})
    shown = f"{secret} {secret!r} {secret:>20} %s %r" % (secret, secret) + str([secret]) + repr({"s": secret})
    assert PLAIN not in shown
    assert "***" in shown
    assert secret.reveal() == {"access_token": PLAIN}
    assert secret == Secret({"access_token": PLAIN})
    assert secret != {"access_token": PLAIN}
    with pytest.raises(TypeError):
        hash(secret)


# --- The log filter --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kept", "hidden"),
    [
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature", "Bearer ***", "eyJhbGci"),
        ("headers={'authorization': 'Basic dXNlcjpwYXNzd29yZA=='}", "Basic ***", "dXNlcjpw"),
        ("token pvx_Ab12Cd34_5uP3r-s3cr3t_v4lu3 refused", "pvx_Ab12Cd34_***", "5uP3r"),
        ("stored vault:v1:ab12cd34:QUJDREVGR0hJSktMTU5PUFFSU1RVVldY", "vault:v1:ab12cd34:***", "QUJDREVG"),
        (
            "GET https://graph.example/me?fields=id&access_token=EAAB123xyz&x=1",
            "access_token=***&x=1",
            "EAAB123",
        ),
        ("POST body client_secret=sh-h-h&refresh_token=rt999", "refresh_token=***", "sh-h-h"),
        ('response {"access_token": "ya29.a0Af", "expires_in": 3599}', '"access_token": "***"', "ya29"),
        (
            "POST https://api.telegram.org/bot123456789:AAHk-4bF_zzzzzzzzzzzzzzzzzzzzzzzzzzz/sendMessage",
            "/bot***/sendMessage",
            "AAHk-4bF",
        ),
        (
            "POST https://discord.com/api/webhooks/1234567/aBcD-eFgH_ij?wait=true",
            "/api/webhooks/1234567/***",
            "aBcD-eFgH",
        ),
        (
            "POST https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX",
            "hooks.slack.com/services/***",
            "XXXXsecret",
        ),
    ],
)
def test_redact_masks_known_secret_patterns(line, kept, hidden):
    masked = redact(line)
    assert kept in masked
    assert hidden not in masked


def test_redact_leaves_ordinary_text_alone():
    line = "Published post 42 to channel 7 (status=published, attempts=1) in 0.35s"
    assert redact(line) == line


def test_filter_masks_message_arguments_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("portevoix.tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("calling %s with %s", "https://x.example/?access_token=abc123", "Bearer abcdefgh12345")
        try:
            raise ValueError("network said: refresh_token=zzz999 is invalid")
        except ValueError:
            logger.exception("refresh failed for %s", Secret("plain-secret-value"))
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    output = stream.getvalue()
    for leaked in ("abc123", "abcdefgh12345", "zzz999", "plain-secret-value"):
        assert leaked not in output
    assert "access_token=***" in output
    assert "refresh_token=*** is invalid" in output
    assert "refresh failed for ***" in output


def test_filter_passes_a_broken_record_on_for_logging_to_report():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "bad format %s %s", ("one",), None)
    assert RedactSecretsFilter().filter(record) is True


def test_settings_install_the_filter_on_the_console_handler():
    from django.conf import settings

    assert "redact_secrets" in settings.LOGGING["handlers"]["console"]["filters"]
    root_filters = [log_filter for handler in logging.getLogger().handlers for log_filter in handler.filters]
    assert any(isinstance(log_filter, RedactSecretsFilter) for log_filter in root_filters)
