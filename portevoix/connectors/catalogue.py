"""The networks x capabilities table, generated from the connectors' declarations.

README.md and docs/networks/README.md hold the table between markers; a test fails when it is stale, so
the product never advertises what a connector does not declare.

    python -m portevoix.connectors.catalogue --write
"""

from __future__ import annotations

import sys
from pathlib import Path

from portevoix.connectors.registry import all_connectors
from portevoix.connectors.types import AuthKind, Capability
from portevoix.textcount import Unit

START = "<!-- networks-table:start -->"
END = "<!-- networks-table:end -->"
ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "networks" / "README.md")

COLUMNS: tuple[tuple[str, Capability], ...] = (
    ("publish", Capability.PUBLISH),
    ("images", Capability.IMAGES),
    ("video", Capability.VIDEO),
    ("albums", Capability.ALBUMS),
    ("edit", Capability.EDIT),
    ("delete", Capability.DELETE),
    ("metrics", Capability.METRICS),
    ("followers", Capability.FOLLOWERS),
    ("comments", Capability.COMMENTS),
    ("no duplicates on retry", Capability.IDEMPOTENCY),
    ("lookup after timeout", Capability.LOOKUP),
)

AUTH_LABELS = {
    AuthKind.OAUTH2: "OAuth 2",
    AuthKind.BOT_TOKEN: "bot token",
    AuthKind.APP_PASSWORD: "app password",
    AuthKind.ACCESS_TOKEN: "access token",
    AuthKind.WEBHOOK_URL: "webhook URL",
    AuthKind.MANUAL: "manual (reminders)",
}

UNIT_LABELS = {
    Unit.CHARS: "characters",
    Unit.UTF16: "UTF-16 units",
    Unit.GRAPHEMES: "graphemes",
    Unit.UTF8_BYTES: "bytes",
    Unit.TWITTER_WEIGHTED: "weighted characters",
    Unit.CHARS_URL_23: "characters, a URL = 23",
    Unit.GRAPHEMES_URL_23: "graphemes, a URL = 23",
    Unit.CHARS_EMOJI_UTF8: "characters, an emoji = its bytes",
}

# Networks named by the product that have no connector yet; listed so nobody mistakes silence for support.
PLANNED = (
    "X (Twitter)",
    "Instagram",
    "Facebook",
    "YouTube",
    "Odnoklassniki",
    "SoundCloud",
    "Moi Mir (My World)",
    "QZone",
    "Pinterest",
    "Threads",
    "LinkedIn",
    "TikTok",
)


def table() -> str:
    header = (
        "| network | connects with | text limit | media | " + " | ".join(name for name, _ in COLUMNS) + " |"
    )
    rule = "|---|---|---|---|" + "---|" * len(COLUMNS)
    rows = []
    for connector in all_connectors():
        limits = connector.limits
        text = f"{limits.text} {UNIT_LABELS[limits.text_unit]}" if limits.text else "not documented"
        media = str(limits.media) if limits.media else "none"
        marks = " | ".join("yes" if cap in connector.capabilities else "—" for _, cap in COLUMNS)
        doc = f"[{connector.label}](docs/networks/{connector.key}.md)"
        rows.append(f"| {doc} | {AUTH_LABELS[connector.auth.kind]} | {text} | {media} | {marks} |")
    planned = (
        "Not connected yet (their posts can't be published from Portevoix today): " + ", ".join(PLANNED) + "."
    )
    return "\n".join([header, rule, *rows, "", planned])


def for_document(path: Path) -> str:
    # Links are written relative to the repository root; docs/networks/README.md sits two levels down.
    text = table()
    if path.parent.name == "networks":
        text = text.replace("](docs/networks/", "](")
    return text


def current(path: Path) -> str:
    return path.read_text(encoding="utf-8").split(START, 1)[1].split(END, 1)[0].strip()


def write() -> None:
    for path in DOCUMENTS:
        head, rest = path.read_text(encoding="utf-8").split(START, 1)
        tail = rest.split(END, 1)[1]
        path.write_text(f"{head}{START}\n{for_document(path)}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write()
    else:
        print(table())
