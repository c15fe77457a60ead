"""The committed OpenAPI snapshot (openapi.json at the repository root) and its drift check.

python -m portevoix.openapi_snapshot --write   # regenerate after an intended API change
python -m portevoix.openapi_snapshot --check   # exit 1 with a unified diff when it differs
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path

SNAPSHOT_PATH = Path(__file__).resolve().parent.parent / "openapi.json"


def generate() -> str:
    """The API's OpenAPI document as stable text: sorted keys, indent 2, trailing newline, in English."""
    import django
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portevoix.settings")
        django.setup()
    from django.utils import translation

    from portevoix.api import api

    with translation.override("en"):
        schema = api.get_openapi_schema()
        text = json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False, default=str)
    return text + "\n"


def diff(expected: str, actual: str, *, path: Path = SNAPSHOT_PATH) -> str:
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"{path.name} (committed)",
            tofile=f"{path.name} (generated)",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portevoix.openapi_snapshot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write openapi.json")
    mode.add_argument("--check", action="store_true", help="fail with a diff when openapi.json is stale")
    parser.add_argument("--path", type=Path, default=SNAPSHOT_PATH, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    generated = generate()
    if args.write:
        args.path.write_text(generated, encoding="utf-8")
        print(f"Wrote {args.path}")
        return 0
    committed = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
    if committed == generated:
        print(f"{args.path.name} is up to date.")
        return 0
    sys.stdout.write(diff(committed, generated, path=args.path))
    print(f"\n{args.path.name} is out of date: run `make openapi` and commit the result.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
