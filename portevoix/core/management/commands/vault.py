"""``portevoix vault``: keys and stored secrets of the token vault (core/vault.py, docs/security.md).

- ``generate-key [--add]``: print a new key entry to put first in PORTEVOIX_VAULT_KEYS; with ``--add``,
  put it first in the key file instead (installs without the variable).
- ``status``: the configured keys, and how many stored secrets each key encrypted, per encrypted field.
- ``rotate``: re-encrypt with the newest key every secret encrypted with an older one (batches; safe to
  run again, and while the application runs).
- ``check``: decrypt every stored secret and report the ones that fail (by row, never by value).

``rotate`` and ``check`` exit with status 1 when a secret cannot be decrypted.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portevoix.core import vault
from portevoix.core.fields import (
    NOT_A_CIPHERTEXT,
    ColumnReport,
    column_check,
    column_rotate,
    column_status,
    encrypted_columns,
)

MAX_LISTED_FAILURES = 50


class Command(BaseCommand):
    help = "Manage the token vault: generate-key, status, rotate, check."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        generate = actions.add_parser("generate-key", help="Print a new key to add, newest first.")
        generate.add_argument(
            "--add",
            action="store_true",
            help="Put the new key first in the key file (installs without PORTEVOIX_VAULT_KEYS).",
        )
        actions.add_parser("status", help="Configured keys, and stored secrets per key and per field.")
        for name, text in (
            ("rotate", "Re-encrypt every stored secret with the newest key."),
            ("check", "Decrypt every stored secret and report failures."),
        ):
            action = actions.add_parser(name, help=text)
            action.add_argument("--batch-size", type=int, default=500, help="Rows per batch (default: 500).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        batch_size = options.get("batch_size") or 500
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            if action == "generate-key":
                self.do_generate_key(add=options["add"])
            elif action == "status":
                self.do_status()
            elif action == "rotate":
                self.do_rotate(batch_size)
            else:
                self.do_check(batch_size)
        except vault.VaultConfigError as exc:
            raise CommandError(exc.message) from None

    # --- Actions ----------------------------------------------------------------------------------

    def do_generate_key(self, *, add: bool) -> None:
        key = vault.generate_key()
        if not add:
            self.stdout.write(vault.key_entry(key))
            self.stderr.write(
                "Add this entry to PORTEVOIX_VAULT_KEYS on every process: second (decrypt only) until every "
                "process has restarted with it, then first; then run `portevoix vault rotate` "
                "(docs/security.md). Keep a copy apart from the database backups."
            )
            return
        ring = vault.keyring()
        if ring.from_environment:
            raise CommandError(
                "The keys come from PORTEVOIX_VAULT_KEYS: add the key there (run without --add to print one)."
            )
        path = vault.key_file_path()
        added = vault.add_key_to_file(path, key)
        self.stdout.write(f"Added key {added.id} first in {path}.")
        self.stdout.write(
            "Restart Portevoix so that every process encrypts with it (processes not restarted yet still "
            "read what it encrypts), run `portevoix vault rotate`, and back up the key file again."
        )

    def do_status(self) -> None:
        ring = vault.keyring()
        self._print_keys(ring)
        columns = encrypted_columns()
        reports = [column_status(column) for column in columns]
        self.stdout.write(f"Encrypted fields: {len(columns)}")
        for report in reports:
            self.stdout.write(f"  {report.column.label}: {report.total} secret(s)")
        self._print_by_key(ring, reports)
        stale = sum(count for report in reports for key_id, count in report.by_key.items())
        stale -= sum(report.by_key[ring.primary.id] for report in reports)
        if stale:
            self.stdout.write(f"{stale} secret(s) use an older key: run `portevoix vault rotate`.")
        else:
            self.stdout.write("Every stored secret uses the newest key.")

    def do_rotate(self, batch_size: int) -> None:
        ring = vault.keyring()
        self.stdout.write(f"Re-encrypting with key {ring.primary.id} (from {self._source(ring)}).")
        reports = []
        for column in encrypted_columns():
            report = column_rotate(column, ring=ring, batch_size=batch_size)
            reports.append(report)
            self.stdout.write(
                f"  {column.label}: {report.rotated} re-encrypted, {report.unchanged} already current, "
                f"{len(report.failures)} failed, {report.raced} changed meanwhile"
            )
        rotated = sum(report.rotated for report in reports)
        raced = sum(report.raced for report in reports)
        self.stdout.write(f"Re-encrypted {rotated} secret(s).")
        if raced:
            self.stdout.write(f"{raced} secret(s) changed during the run: run `portevoix vault rotate` again")
        self._fail_on_failures(reports, "could not be re-encrypted")
        self.stdout.write(
            "Done. Once `portevoix vault status` shows no secret under an older key (and no backup you may "
            "restore still needs it), that key can be removed."
        )

    def do_check(self, batch_size: int) -> None:
        ring = vault.keyring()
        reports = []
        for column in encrypted_columns():
            report = column_check(column, ring=ring, batch_size=batch_size)
            reports.append(report)
            self.stdout.write(f"  {column.label}: {report.ok} ok, {len(report.failures)} failed")
        self.stdout.write(f"Checked {sum(report.total for report in reports)} secret(s).")
        self._fail_on_failures(reports, "cannot be decrypted")
        self.stdout.write("Every stored secret decrypts.")

    # --- Output -----------------------------------------------------------------------------------

    @staticmethod
    def _source(ring: vault.KeyRing) -> str:
        return ring.source if ring.from_environment else f"key file {ring.source}"

    def _print_keys(self, ring: vault.KeyRing) -> None:
        self.stdout.write(f"Keys ({len(ring.keys)}, newest first) from {self._source(ring)}:")
        for position, key in enumerate(ring.keys):
            notes = []
            if key.id != key.fingerprint:
                notes.append(f"fingerprint {key.fingerprint}")
            if position == 0:
                notes.append("encrypts new secrets")
            self.stdout.write(f"  {key.id}" + (f"  ({', '.join(notes)})" if notes else ""))

    def _print_by_key(self, ring: vault.KeyRing, reports: list[ColumnReport]) -> None:
        totals: dict[str, int] = {}
        for report in reports:
            for key_id, count in report.by_key.items():
                totals[key_id] = totals.get(key_id, 0) + count
        self.stdout.write("Secrets per key:")
        for key in ring.keys:
            count = sum(totals.pop(name, 0) for name in dict.fromkeys((key.id, key.fingerprint)))
            self.stdout.write(f"  {key.id}: {count}")
        for key_id, count in sorted(totals.items()):
            if key_id == NOT_A_CIPHERTEXT:
                self.stdout.write(f"  {key_id}: {count}  run `portevoix vault check` to list them")
            else:
                self.stdout.write(f"  {key_id}: {count}  NOT CONFIGURED: these cannot be decrypted")

    def _fail_on_failures(self, reports: list[ColumnReport], what: str) -> None:
        failures = [(report.column.label, failure) for report in reports for failure in report.failures]
        if not failures:
            return
        for label, failure in failures[:MAX_LISTED_FAILURES]:
            self.stderr.write(f"  {label} pk={failure.pk}: {failure.code}: {failure.message}")
        if len(failures) > MAX_LISTED_FAILURES:
            self.stderr.write(f"  ... and {len(failures) - MAX_LISTED_FAILURES} more.")
        raise CommandError(f"{len(failures)} stored secret(s) {what}; see above.")
