"""Render the permission matrix as the Markdown table kept in docs/roles.md.

python -m portevoix.workspaces.roles_doc          # print the table
python -m portevoix.workspaces.roles_doc --write  # refresh docs/roles.md between its markers
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.utils import translation

from portevoix.workspaces.roles import MATRIX, Role

START = "<!-- roles-matrix:start -->"
END = "<!-- roles-matrix:end -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def matrix_markdown() -> str:
    roles = list(Role)
    header = "| permission | what it allows | " + " | ".join(role.value for role in roles) + " |"
    rule = "|---|---|" + "---|" * len(roles)
    with translation.override("en"):
        rows = [
            f"| `{name}` | {description} | "
            + " | ".join("yes" if role in allowed else "no" for role in roles)
            + " |"
            for name, (allowed, description) in MATRIX.items()
        ]
    return "\n".join([header, rule, *rows])


def documented_matrix(text: str) -> str:
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def main(argv: list[str]) -> int:
    table = matrix_markdown()
    if "--write" in argv:
        text = DOC.read_text(encoding="utf-8")
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        DOC.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
    else:
        print(table)
    return 0


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portevoix.settings")
    django.setup()
    sys.exit(main(sys.argv[1:]))
