"""Worst cases of portevoix.textcount against ordinary text of the same size, measured in the same run.

    .venv/bin/python bench/textcount.py [--sizes 1000,10000,100000] [--timeout 30] [--output PATH]

Each adversarial family is a text built to make one of the package's searches slow (most of them took the
square of their length or worse before the searches were made linear). Every measurement is the best of a
few runs, taken in turns with runs on ordinary text (words, URLs, hashtags, mentions, emoji, several
scripts) of the same length for the same operation; ``ratio`` is the family's time over the ordinary
text's, so it stays comparable across machines and loads: a linear implementation keeps it small and flat
as the size grows. A run past ``--timeout`` seconds is recorded as timed out (it is interrupted as soon
as Python gets control back from the regex engine) and the larger sizes of that family are skipped.
Results go to bench/results/textcount.json (``--output``), with the CPU time of importing the package and
of its first URL (the TLD pattern is compiled then).

The operations: ``composer`` is what the composer's endpoint runs on each keystroke (``check_text`` for
every network and field, and Bluesky's facets); ``is_valid_url`` and ``extract_hashtags`` are the public
functions outside that path.
"""

from __future__ import annotations

import argparse
import json
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import regex

from portevoix import textcount

RESULTS = Path(__file__).resolve().parent / "results" / "textcount.json"


def _tile(piece: str, size: int) -> str:
    return (piece * (size // len(piece) + 1))[:size]


ORDINARY = (
    "Big news today! Our spring collection is live at https://shop.example.com/spring?utm_source=x, "
    "have a look 🌸 #spring #sale with @partner. "
    "Nous lançons la collection printemps : example.fr/printemps 🇫🇷 #mode. "
    "Новая коллекция уже в продаже, подробности на сайте #весна @магазин. "
    "新作コレクションを公開しました！詳しくは example.jp/new 👉 #新作 "
    "Thanks to everyone who joined the live stream yesterday; the replay is at youtube.com/watch?v=abc123 "
    "and the slides are in the blog post (see the link in bio). 👨‍👩‍👧‍👦 "
)
ORDINARY_URL = "https://www.example.com/articles/2024/spring-collection/"

# name -> (text of a given size, operations, what it attacks)
FAMILIES: dict[str, tuple[Callable[[int], str], tuple[str, ...], str]] = {
    "dots_after_tld": (
        lambda n: _tile("a.com;" + "a." * n, n),
        ("composer",),
        "a run without spaces holding a TLD then many dots: every start read the rest of the run",
    ),
    "underscore_labels": (
        lambda n: "a.com." + _tile("x_y.com.", n - 6),
        ("composer",),
        "a URL at every label, each start reading the whole chain of labels",
    ),
    "cjk_label": (
        lambda n: "日" * (n - 8) + ".a;a.com",
        ("composer",),
        "one long label of characters that may precede a URL: every position is a start",
    ),
    "ascii_domain_labels": (
        lambda n: _tile("a." * 1000 + "a日.com ", n),
        ("composer",),
        "long domains without a scheme: the ASCII domain search started from every label",
    ),
    "long_label": (
        lambda n: "日" * (n - 4) + ".com",
        ("composer",),
        "one label of n characters: punycode encoding costs the square of its length",
    ),
    "long_label_distinct": (
        lambda n: "".join(chr(0x4E00 + i * 7919 % 20000) for i in range(n - 4)) + ".com",
        ("composer",),
        "one label of n different characters: the worst case of punycode encoding",
    ),
    "path_without_ending": (
        lambda n: _tile("a.co/" + "!" * 200 + "(", n),
        ("composer",),
        "paths that the path pattern reads to the end and gives back",
    ),
    "hashtags_and_urls": (
        lambda n: _tile("#a a.co ", n),
        ("composer", "extract_hashtags"),
        "many hashtags and many URLs: each hashtag was compared with each URL",
    ),
    "hashtag_digits": (
        lambda n: _tile("#" + "1" * 50 + " ", n),
        ("composer", "extract_hashtags"),
        "hashtags of digits only, refused after reading the whole word",
    ),
    "bluesky_tag_punctuation": (
        lambda n: "#a" + "!" * (n - 3) + "a",
        ("composer",),
        "a tag with a long run of punctuation: trailing punctuation was removed with \\p{P}+$",
    ),
    "bluesky_many_facets": (
        lambda n: _tile("#ab ", n),
        ("composer",),
        "many facets: each byte offset was computed from the start of the text",
    ),
    "mention_separators": (
        lambda n: "@a" + _tile(".-", n - 2),
        ("composer",),
        "a mention followed by separators the mention patterns read and give back",
    ),
    "emoji_sequences": (
        lambda n: _tile("👨\u200d", n),
        ("composer",),
        "one endless ZWJ sequence",
    ),
    "url_authority": (
        lambda n: "http://" + "a" * (n - 8) + "!",
        ("is_valid_url",),
        "an invalid host: the authority pattern was searched from every position",
    ),
    "url_fragment_newline": (
        lambda n: "a" * (n - 3) + "#\n\n",
        ("is_valid_url",),
        "a line break in the fragment: every split of the authority and the path was tried",
    ),
}


def _baseline(operation: str, size: int) -> str:
    if operation == "is_valid_url":
        return ORDINARY_URL + _tile("spring-collection/", size - len(ORDINARY_URL))
    return _tile(ORDINARY, size)


def _composer(text: str) -> None:
    for network, fields in textcount.TEXT_RULES.items():
        for field_name in fields:
            textcount.check_text(text, network, field_name)
    textcount.bluesky_facet_ranges(text)


OPERATIONS: dict[str, Callable[[str], object]] = {
    "composer": _composer,
    "is_valid_url": textcount.is_valid_url,
    "extract_hashtags": textcount.extract_hashtags,
}


class _TimedOut(Exception):
    pass


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _TimedOut


def _run(function: Callable[[str], object], text: str, timeout: float) -> float | None:
    """Seconds one call takes, or None when it takes longer than ``timeout``."""
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        started = time.perf_counter()
        function(text)
        return time.perf_counter() - started
    except _TimedOut:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _best_times(
    function: Callable[[str], object], text: str, ordinary: str, repeats: int, timeout: float
) -> tuple[float | None, float]:
    """Best of ``repeats`` runs on ``text`` (None if one timed out) and on ``ordinary``, run in turns so
    that both see the same load of the machine."""
    best, best_ordinary = float("inf"), float("inf")
    timed_out = False
    for _ in range(repeats):
        ordinary_seconds = _run(function, ordinary, 600)
        assert ordinary_seconds is not None
        best_ordinary = min(best_ordinary, ordinary_seconds)
        if not timed_out:
            seconds = _run(function, text, timeout)
            timed_out = seconds is None
            best = min(best, seconds or best)
    return (None if timed_out else best), best_ordinary


def _import_cost() -> dict[str, float]:
    """CPU seconds to import the package in a fresh interpreter, and to count a first text with a URL."""
    code = (
        "import time; t = time.process_time(); import portevoix.textcount as tc; "
        "i = time.process_time() - t; t = time.process_time(); tc.twitter_parse('see example.com'); "
        "print(i, time.process_time() - t)"
    )
    command = [sys.executable, "-c", code]  # this interpreter, fixed code
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    import_seconds, first_url_seconds = (float(value) for value in output.split())
    return {"import_cpu_seconds": import_seconds, "first_url_cpu_seconds": first_url_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000", help="text lengths in code points")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a measurement is stopped")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--families", default="", help="comma-separated subset of the families")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    families = args.families.split(",") if args.families else list(FAMILIES)
    signal.signal(signal.SIGALRM, _on_alarm)

    _composer("warm up: example.com #tag @user 😀")  # compiles the TLD pattern before any measurement
    results: list[dict[str, Any]] = []
    print(f"{'family':26} {'operation':17} {'size':>7} {'seconds':>9} {'ordinary':>9} {'ratio':>7}")
    for family in families:
        build, operations, attack = FAMILIES[family]
        for operation in operations:
            function = OPERATIONS[operation]
            for size in sizes:
                repeats = 5 if size <= 10_000 else 3
                text = build(size)
                assert len(text) == size, (family, len(text), size)
                ordinary = _baseline(operation, size)
                seconds, baseline = _best_times(function, text, ordinary, repeats, args.timeout)
                ratio = None if seconds is None else seconds / baseline
                results.append(
                    {
                        "family": family,
                        "operation": operation,
                        "size": size,
                        "seconds": seconds,
                        "ordinary_seconds": baseline,
                        "ratio": ratio,
                        "timed_out": seconds is None,
                        "attacks": attack,
                    }
                )
                shown = f"> {args.timeout:g}" if seconds is None else f"{seconds:.4f}"
                ratio_shown = "-" if ratio is None else f"{ratio:.2f}"
                print(f"{family:26} {operation:17} {size:>7} {shown:>9} {baseline:>9.4f} {ratio_shown:>7}")
                if seconds is None:
                    break  # the larger sizes would take longer still

    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "regex": regex.__version__,
        "machine": platform.machine(),
        "max_text_length": getattr(textcount, "MAX_TEXT_LENGTH", None),
        "timeout_seconds": args.timeout,
        **_import_cost(),
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    worst = max((r["ratio"] for r in results if r["ratio"] is not None), default=0.0)
    timed_out = sum(r["timed_out"] for r in results)
    print(
        f"import {report['import_cpu_seconds']:.3f} s CPU, "
        f"first URL {report['first_url_cpu_seconds']:.3f} s CPU; "
        f"worst ratio {worst:.2f}; {timed_out} timed out; written to {args.output}"
    )


if __name__ == "__main__":
    main()
