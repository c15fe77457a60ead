"""The text of a status's HTML ``content``, for servers that cannot give the source text back.

Mastodon renders a plain-text status as paragraphs (``<p>``, a blank line in the source) and line breaks
(``<br>``); a link keeps its whole URL across its ``invisible`` spans, a mention shows ``@user``. Only
reconciliation uses this, and only when ``GET /api/v1/statuses/:id/source`` is missing (Mastodon < 3.5).
"""

from __future__ import annotations

from html.parser import HTMLParser


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self._paragraphs:
                self.parts.append("\n\n")
            self._paragraphs += 1

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(content: str) -> str:
    parser = _TextParser()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts)
