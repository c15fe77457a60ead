"""twitter-text's URL extraction in linear time: the matches of its ``extractUrl`` regex, found without it.

The reference (``_twitter_regex.extract_url_source``) is one regex searched from every position. From each
position whose character may precede a URL it reads every label of the domain that follows before
backtracking to the last one followed by a TLD, so a long run without spaces that holds many dots (``a.b.
a.b.a...``) costs the square of its length, and the rest of the reference's code (its ASCII domain regex,
searched from every position of the domain) adds more of the same.

The domain part of the reference pattern reads, from a position ``d``, labels made of "domain characters"
(anything but punctuation, spaces, U+FFFE/U+FEFF/U+FFFF and directional marks) plus ``-`` and ``_``, each
ending with a domain character and followed by a dot, and keeps the *last* label followed by a TLD:

* a label ends at the first character that is not a label character, so the labels after ``d`` are fixed
  by the text: the first is the rest of the run of label characters ``d`` is in, the next ones are whole
  runs, each starting right after the previous dot;
* the greedy ``subdomain*`` takes every label it can, then gives them back one by one until the next label
  is a domain name (no ``_``) followed by a TLD; the first success is kept because everything after the
  domain is optional.

So for each whole run of label characters, ``best[i]`` (the furthest run, in the chain of labels that
starts with run ``i``, that is a domain name followed by a TLD) is computed once, from the last run to the
first; a position then needs O(1) work, and the text is read a bounded number of times. The part after
the domain (port, path, query) is the reference's own pattern, matched once per URL from the end of its
domain. The tests compare this module with the reference pattern on adversarial and random text.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from dataclasses import dataclass

from portevoix.textcount import _twitter_regex as rx

_NONE = -1
_UNKNOWN = -2


@dataclass(frozen=True, slots=True)
class UrlMatch:
    """One match of the reference pattern: its groups ("" for an absent one) and the URL's span."""

    before: str  # the character before the URL ("" at the start of the text)
    url: str
    protocol: str
    domain: str
    port: str
    path: str
    query: str
    start: int  # code point offsets of ``url``, end exclusive
    end: int


@functools.cache
def _character_tables() -> tuple[frozenset[str], frozenset[str]]:
    """(characters that are not domain characters, characters that may not precede a URL).

    Both classes differ from "everything" only inside the Basic Multilingual Plane; the tests check both
    sets against the regex classes over every code point.
    """
    bmp = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x10000)))
    not_domain = frozenset(rx.DOMAIN_CHAR.sub("", bmp))
    not_preceding = frozenset(rx.URL_PRECEDING_CHAR.sub("", bmp))
    return not_domain, not_preceding


def _tld_end(text: str, position: int) -> int:
    """End of the TLD the reference would match at ``position`` (its first choice), else ``_NONE``."""
    match = rx.tld_pattern().match(text, position)
    return match.end() if match else _NONE


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.not_domain, self.not_preceding = _character_tables()
        spans = [match.span() for match in rx.LABEL_RUN.finditer(text)]
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]
        # best[i]: the run ending the domain for a start in run i's chain; tld_end[j]: end of the TLD after j.
        self.best = [_NONE] * len(spans)
        self.tld_end = [_NONE] * len(spans)
        self.tld_after = [_UNKNOWN] * len(spans)  # end of the TLD right after run i's dot
        for index in range(len(spans) - 1, -1, -1):
            self._settle(index)

    def _label_before_dot(self, index: int) -> bool:
        """Whether run ``index`` ends with a domain character followed by a dot."""
        end = self.ends[index]
        return end < len(self.text) and self.text[end] == "." and self.text[end - 1] not in self.not_domain

    def _chained_best(self, index: int) -> int:
        """``best`` of the run right after run ``index``'s dot, if that run is the next label."""
        after = index + 1
        if after < len(self.starts) and self.starts[after] == self.ends[index] + 1:
            return self.best[after]
        return _NONE

    def _settle(self, index: int) -> None:
        start, end = self.starts[index], self.ends[index]
        if not self._label_before_dot(index) or self.text[start] in self.not_domain:
            return  # not a whole label: no chain goes through it
        chained = self._chained_best(index)
        if chained != _NONE:
            self.best[index] = chained
        elif "_" not in self.text[start:end] and (tld_end := self._tld_after(index)) != _NONE:
            self.best[index] = index
            self.tld_end[index] = tld_end

    def _tld_after(self, index: int) -> int:
        if self.tld_after[index] == _UNKNOWN:
            self.tld_after[index] = _tld_end(self.text, self.ends[index] + 1)
        return self.tld_after[index]

    def _may_end_a_domain(self, index: int) -> bool:
        """Whether a domain starting inside run ``index`` can succeed (for some start)."""
        return self._label_before_dot(index) and (
            self._chained_best(index) != _NONE or self._tld_after(index) != _NONE
        )

    def domain_end(self, index: int, start: int) -> int:
        """End of the domain the reference matches from ``start`` (inside run ``index``), else ``_NONE``."""
        if self.text[start] in self.not_domain or not self._label_before_dot(index):
            return _NONE
        chained = self._chained_best(index)
        if chained != _NONE:
            return self.tld_end[chained]
        if "_" in self.text[start : self.ends[index]]:
            return _NONE
        return self._tld_after(index)

    def _run_at(self, position: int) -> int:
        index = bisect.bisect_right(self.starts, position) - 1
        return index if index >= 0 and position < self.ends[index] else _NONE

    def _attempt(self, before_start: int, url_start: int) -> UrlMatch | None:
        """The reference's attempt with the URL starting at ``url_start`` (with a protocol, then without)."""
        protocol = rx.PROTOCOL.match(self.text, url_start)
        candidates = [protocol.end()] if protocol else []
        for domain_start in [*candidates, url_start]:
            index = self._run_at(domain_start)
            if index != _NONE and (end := self.domain_end(index, domain_start)) != _NONE:
                return self._match(before_start, url_start, domain_start, end)
        return None

    def _match(self, before_start: int, url_start: int, domain_start: int, domain_end: int) -> UrlMatch:
        text = self.text
        tail = rx.URL_TAIL.match(text, domain_end)
        assert tail is not None  # every part of the tail is optional
        return UrlMatch(
            before=text[before_start:url_start],
            url=text[url_start : tail.end()],
            protocol=text[url_start:domain_start],
            domain=text[domain_start:domain_end],
            port=tail.group(1) or "",
            path=tail.group(2) or "",
            query=tail.group(3) or "",
            start=url_start,
            end=tail.end(),
        )

    def _first_in_run(self, index: int, position: int) -> UrlMatch | None:
        """The first match whose preceding character is at ``position`` or after, with its domain starting in
        run ``index`` (with a protocol right before the run, or without one inside the run)."""
        text, not_preceding = self.text, self.not_preceding
        start, end = self.starts[index], self.ends[index]
        # With a protocol: "http://" or "https://" ends where the run starts (the run before, "http", ends
        # with ":", so it never holds a domain). Its preceding character comes before any start in the run.
        for length in (8, 7):
            url_start = start - length
            if url_start - 1 >= position and rx.PROTOCOL.fullmatch(text, url_start, start):
                if text[url_start - 1] not in not_preceding and (
                    (domain_end := self.domain_end(index, start)) != _NONE
                ):
                    return self._match(url_start - 1, url_start, start, domain_end)
                break
        # Without one: a domain character preceded by a character that may precede a URL. Without a chained
        # label, the domain name is the rest of this run, which must hold no "_".
        first = max(start, position + 1)
        if self._chained_best(index) == _NONE:
            first = max(first, text.rfind("_", start, end) + 1)
        for domain_start in range(first, end):
            if text[domain_start - 1] not in not_preceding and text[domain_start] not in self.not_domain:
                domain_end = self.domain_end(index, domain_start)
                assert domain_end != _NONE
                return self._match(domain_start - 1, domain_start, domain_start, domain_end)
        return None

    def matches(self) -> Iterator[UrlMatch]:
        text = self.text
        position = 0  # where the reference's next search starts
        if text:
            # The preceding group may also match the empty string at the very start (``^``), tried after a
            # first character that may precede a URL.
            url_starts = [1] if len(text) > 1 and text[0] not in self.not_preceding else []
            for url_start in [*url_starts, 0]:
                found = self._attempt(0, url_start)
                if found:
                    yield found
                    position = found.end
                    break
            position = max(position, 1)  # every other match has a preceding character
        index = bisect.bisect_right(self.ends, position)
        while index < len(self.starts):
            if self._may_end_a_domain(index) and (found := self._first_in_run(index, position)):
                yield found
                position = found.end
                index = bisect.bisect_right(self.ends, position)
            else:
                index += 1


def url_matches(text: str) -> Iterator[UrlMatch]:
    """What ``finditer`` of the reference URL pattern over ``text`` yields, in linear time."""
    if "." in text:
        yield from _Scanner(text).matches()


def ascii_domain_spans(domain: str) -> list[tuple[int, int]]:
    """The spans ``finditer`` of the reference's ``validAsciiDomain`` yields over ``domain``, in linear time.

    Its labels are runs of ASCII letters, digits, ``-`` and Latin accents, each followed by a dot; the
    greedy ``(?:label\\.)+`` keeps the last label followed by a TLD, as in ``_Scanner``.
    """
    spans = [match.span() for match in rx.ASCII_LABEL_RUN.finditer(domain)]
    best = [_NONE] * len(spans)
    tld_end = [_NONE] * len(spans)
    for index in range(len(spans) - 1, -1, -1):
        start, end = spans[index]
        if end >= len(domain) or domain[end] != ".":
            continue
        after = index + 1
        if after < len(spans) and spans[after][0] == end + 1 and best[after] != _NONE:
            best[index] = best[after]
        elif (found := _tld_end(domain, end + 1)) != _NONE:
            best[index] = index
            tld_end[index] = found
    result: list[tuple[int, int]] = []
    position = 0
    for index, (start, end) in enumerate(spans):
        if end > position and best[index] != _NONE:
            match_end = tld_end[best[index]]
            result.append((max(start, position), match_end))
            position = match_end
    return result
