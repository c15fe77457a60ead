"""The French and Russian catalogs: complete, well formed, faithful to the glossary, in sync with the source,
and compiled.

- every entry is translated (all plural forms), none is fuzzy or obsolete, and each translation keeps the
  placeholders and HTML tags of its msgid;
- ``msgfmt --check`` accepts both files (GNU gettext);
- the SMM terms follow the glossary of docs/translations.md (taken from the product brief);
- Django's ``makemessages``, run on a copy of the package, finds no msgid that the committed .po files lack
  (GNU gettext again: skipped without it, unless PORTEVOIX_REQUIRE_GETTEXT=1, as in CI);
- the committed .mo files, which a fresh install uses as they are, hold exactly what the .po files say.

How to add or change strings: docs/translations.md (``make messages``).
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.utils import translation

import portevoix

PACKAGE_DIR = Path(portevoix.__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
LANGUAGES = ("fr", "ru")
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 "
    ": 2);",
}
NPLURALS = {"fr": 2, "ru": 3}
# n -> index of the plural form that GNU gettext (and so Django) picks for it.
PLURAL_SAMPLES = {
    "fr": {0: 0, 1: 0, 2: 1, 5: 1, 21: 1},
    "ru": {0: 2, 1: 0, 2: 1, 4: 1, 5: 2, 11: 2, 12: 2, 14: 2, 21: 0, 22: 1, 25: 2, 101: 0, 111: 2},
}
# The GNU gettext programs that Django's makemessages runs.
EXTRACTION_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")
REQUIRE_GETTEXT = os.environ.get("PORTEVOIX_REQUIRE_GETTEXT") == "1"

# %(name)s, %(n)d, %s, %%; {name} and {0} (str.format); HTML tags.
PERCENT_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")

# English term (a regular expression on the msgid) -> what the French and the Russian translation must
# contain (regular expressions, case-insensitive): the glossary of the product brief, see
# docs/translations.md. Only terms that keep one meaning in the interface are checked: "reach" (also a
# verb) and "views" are not, a "lead" is checked in the plural only (a team lead is not a prospect), and
# "conversion" may be a file conversion in Russian. A term absent from every msgid is not checked yet.
GLOSSARY: list[tuple[str, str, str]] = [
    (r"\b[Cc]ontent plans?\b", r"plans? de contenu", r"контент-план"),
    (r"\b[Rr]ubrics?\b", r"rubriques?", r"рубрик"),
    (r"\b[Pp]osts?\b(?!-)", r"publi", r"пост|публик"),
    (r"\b[Cc]hannels?\b", r"canal|canaux", r"канал|аккаунт"),
    (r"\b[Ww]orkspaces?\b", r"espaces? de travail", r"рабоч\w* пространств"),
    (r"\bSMM managers?\b", r"gestionnaires? SMM", r"SMM-менеджер"),
    (r"\b[Cc]opywriters?\b", r"rédact(eur|rice)s?", r"копирайтер"),
    (r"\b[Dd]esigners?\b", r"designers?", r"дизайнер"),
    (r"\b[Tt]argeting specialists?\b", r"spécialistes? du ciblage", r"таргетолог"),
    (r"\b[Pp]roducers?\b|\b[Ss]trategists?\b", r"producteur", r"продюсер"),
    (r"\b[Cc]lients?\b", r"clients?", r"клиент"),
    (r"\b[Aa]pprov(al|als|er|ers|e|es|ed|ing)\b", r"valid", r"согласов"),
    (r"\b[Tt]argeted advertising\b", r"publicité ciblée", r"таргетированн\w* реклам"),
    (r"\b[Rr]etargeting\b", r"retargeting", r"ретаргетинг"),
    (r"\b[Ii]nfluencers?\b", r"influenceu(r|se)s?", r"блогер|инфлюенсер"),
    (r"\b[Bb]arter\b", r"échange de produits", r"бартер"),
    (r"\b[Cc]ontests?\b|\b[Gg]iveaways?\b", r"concours", r"конкурс|розыгрыш"),
    (r"\b[Pp]olls?\b(?! (every|each|for|until|again|the)\b)", r"sondages?", r"опрос"),
    (r"\b[Ff]ollowers?\b|\b[Ss]ubscribers?\b", r"abonné", r"подписчик"),
    (r"\b[Rr]eactions?\b", r"réactions?", r"реакци"),
    (r"\b[Ee]ngagement rate\b", r"taux d['’]engagement", r"вовлеч[её]нност"),
    (r"\b[Bb]ounce rate\b", r"taux de rebond", r"показател\w* отказов"),
    (r"\b[Vv]isit duration\b", r"durée des visites", r"время на сайте"),
    (r"\b[Cc]onversions?\b", r"conversions?", r"конверси|конвертац"),
    (r"\b[Ll]eads\b(?! to\b)", r"leads|prospects", r"лид"),
    (r"\b[Nn]ews monitoring\b", r"veille", r"мониторинг\w* новостей"),
    (r"\b[Mm]entions?\b", r"mentions?", r"упоминани"),
    (r"\b[Ii]nbox\b", r"boîte de réception", r"входящ"),
]


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def load_po(language: str) -> polib.POFile:
    path = po_path(language)
    assert path.exists(), f"{path} is missing: run `make messages` (docs/translations.md)"
    return polib.pofile(str(path))


def live_entries(catalog: polib._BaseFile) -> list[polib._BaseEntry]:
    return [entry for entry in catalog if entry.msgid and not entry.obsolete]


def entry_key(entry: polib._BaseEntry) -> tuple[str | None, str, str | None]:
    return (entry.msgctxt or None, entry.msgid, entry.msgid_plural or None)


def describe(entry: polib._BaseEntry) -> str:
    context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    return context + repr(entry.msgid)


def translations_of(entry: polib._BaseEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def need_gettext(*programs: str) -> None:
    missing = [program for program in programs if shutil.which(program) is None]
    if not missing:
        return
    reason = (
        f"GNU gettext is not installed ({', '.join(missing)} not found); install the `gettext` package. "
        "PORTEVOIX_REQUIRE_GETTEXT=1 turns this skip into a failure (CI sets it)."
    )
    if REQUIRE_GETTEXT:
        pytest.fail(reason)
    pytest.skip(reason)


def placeholders(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for match in PERCENT_PLACEHOLDER.finditer(text):
        found[match.group(0)] += 1
    for match in BRACE_PLACEHOLDER.finditer(text):
        found[match.group(0)] += 1
    return found


def html_tags(text: str) -> Counter[str]:
    return Counter(HTML_TAG.findall(text))


# --- Completeness -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_header(language):
    catalog = load_po(language)
    assert not catalog.metadata_is_fuzzy, "the header is marked fuzzy: review it and remove the flag"
    metadata = catalog.metadata
    assert metadata.get("Language") == language
    assert metadata.get("Content-Type") == "text/plain; charset=UTF-8"
    assert " ".join(metadata.get("Plural-Forms", "").split()) == PLURAL_FORMS[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_reviewed(language):
    catalog = load_po(language)
    entries = live_entries(catalog)
    assert entries, f"the {language} catalog is empty: run `make messages`"
    problems = []
    for entry in entries:
        if entry.fuzzy:
            problems.append(f"fuzzy (review the translation, then drop the flag): {describe(entry)}")
        if entry.msgid_plural:
            forms = translations_of(entry)
            if len(forms) != NPLURALS[language]:
                problems.append(
                    f"{len(forms)} plural forms instead of {NPLURALS[language]}: {describe(entry)}"
                )
            if not all(form.strip() for form in forms):
                problems.append(f"a plural form is empty: {describe(entry)}")
        elif not entry.msgstr.strip():
            problems.append(f"not translated: {describe(entry)}")
    obsolete = [describe(entry) for entry in catalog if entry.obsolete]
    if obsolete:
        problems.append(f"obsolete entries (run `make messages`, it drops them): {obsolete}")
    assert not problems, f"{language} catalog:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_markup(language):
    problems = []
    for entry in live_entries(load_po(language)):
        if entry.msgid_plural:
            expected = [placeholders(entry.msgid_plural)]
            # A language may use its first form for 1 only: that form may then follow the singular msgid.
            first_allowed = [placeholders(entry.msgid_plural), placeholders(entry.msgid)]
        else:
            expected = first_allowed = [placeholders(entry.msgid)]
        tags = html_tags(entry.msgid_plural or entry.msgid)
        for index, text in enumerate(translations_of(entry)):
            allowed = first_allowed if index == 0 else expected
            if placeholders(text) not in allowed:
                problems.append(
                    f"{describe(entry)} form {index}: placeholders {dict(placeholders(text))}, "
                    f"expected {dict(allowed[0])}"
                )
            if html_tags(text) != tags:
                problems.append(
                    f"{describe(entry)} form {index}: HTML tags {html_tags(text)}, expected {tags}"
                )
            for token in ("{%", "%}", "{{", "}}", "{#", "#}"):
                if token in text and token not in entry.msgid:
                    problems.append(
                        f"{describe(entry)} form {index}: template syntax {token!r} in the translation"
                    )
            if text != text.strip() and (text[:1].isspace(), text[-1:].isspace()) != (
                entry.msgid[:1].isspace(),
                entry.msgid[-1:].isspace(),
            ):
                problems.append(
                    f"{describe(entry)} form {index}: leading or trailing space differs from msgid"
                )
    assert not problems, f"{language} catalog:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_python_format_translations_format(language):
    """What Python does with a translation at run time: ``msgstr % {...}`` must not raise."""
    problems = []
    for entry in live_entries(load_po(language)):
        if "python-format" not in entry.flags:
            continue
        conversions = [
            match for match in PERCENT_PLACEHOLDER.finditer(entry.msgid) if not match.group(0).endswith("%")
        ]
        names = {match.group(1) for match in conversions if match.group(1)}
        # The code formats every form with the same mapping: the plural's names ("%(count)d posts") too.
        plural = PERCENT_PLACEHOLDER.finditer(entry.msgid_plural or "")
        names |= {match.group(1) for match in plural if match.group(1)}
        values: dict[str, int] | tuple[int, ...] = (
            dict.fromkeys(names, 1) if names else tuple(1 for _match in conversions)
        )
        for index, text in enumerate(translations_of(entry)):
            try:
                text % values
            except (KeyError, ValueError, TypeError) as error:
                problems.append(f"{describe(entry)} form {index}: {error!r}")
    assert not problems, f"{language} catalog:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_msgfmt_accepts_the_catalog(language):
    need_gettext("msgfmt")
    result = subprocess.run(
        ["msgfmt", "--check", "--output-file=/dev/null", str(po_path(language))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"msgfmt --check {po_path(language)}:\n{result.stderr}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_glossary_terms(language):
    column = LANGUAGES.index(language) + 1
    problems = []
    for entry in live_entries(load_po(language)):
        english = " ".join(filter(None, [entry.msgid, entry.msgid_plural]))
        for term in GLOSSARY:
            if re.search(term[0], english) is None:
                continue
            for index, text in enumerate(translations_of(entry)):
                if re.search(term[column], text, re.IGNORECASE) is None:
                    problems.append(f"{describe(entry)} form {index}: {text!r} lacks /{term[column]}/")
    assert not problems, f"{language}: glossary terms (docs/translations.md):\n" + "\n".join(problems)


def test_both_catalogs_have_the_same_msgids():
    fr, ru = ({entry_key(entry) for entry in live_entries(load_po(language))} for language in ("fr", "ru"))
    assert fr == ru, f"only in fr: {sorted(fr - ru, key=str)}\nonly in ru: {sorted(ru - fr, key=str)}"


# --- In sync with the source --------------------------------------------------------------------------


def test_catalogs_hold_every_string_of_the_source(tmp_path, settings, monkeypatch):
    """Run ``makemessages`` as ``make messages`` does, on a copy of the package, and compare."""
    need_gettext(*EXTRACTION_TOOLS)
    copy = tmp_path / "portevoix"
    shutil.copytree(
        PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("static", "locale", "__pycache__", "*.pyc", "*.mo")
    )
    (copy / "locale").mkdir()
    # Only the copy's locale folder may receive files: never the committed catalogs.
    settings.LOCALE_PATHS = []
    monkeypatch.chdir(copy)
    call_command(
        "makemessages",
        locale=["fr"],
        ignore_patterns=["static/*"],
        no_obsolete=True,
        no_location=True,
        verbosity=0,
    )
    extracted = {
        entry_key(entry)
        for entry in live_entries(polib.pofile(str(copy / "locale/fr/LC_MESSAGES/django.po")))
    }
    assert extracted, "makemessages found no string at all"
    for language in LANGUAGES:
        committed = {entry_key(entry) for entry in live_entries(load_po(language))}
        missing = sorted(extracted - committed, key=str)
        assert not missing, (
            f"{len(missing)} msgid(s) of the source are not in the {language} catalog {po_path(language)}; "
            "run `make messages`, translate them, and commit the .po and .mo files (docs/translations.md):\n"
            + "\n".join(f"  {key[1]!r}" + (f" (context {key[0]!r})" if key[0] else "") for key in missing)
        )


# --- Compiled catalogs --------------------------------------------------------------------------------


def _compiled_view(catalog: polib._BaseFile) -> dict[tuple[str | None, str, str | None], tuple[str, ...]]:
    return {
        entry_key(entry): tuple(translations_of(entry))
        for entry in live_entries(catalog)
        if not getattr(entry, "fuzzy", False)
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_the_po_file(language):
    mo_path = po_path(language).with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run `make messages` (it compiles) and commit it"
    expected = _compiled_view(load_po(language))
    compiled = _compiled_view(polib.mofile(str(mo_path)))
    stale = sorted(
        (key[1] for key in expected.keys() | compiled.keys() if expected.get(key) != compiled.get(key)),
        key=str,
    )
    assert not stale, (
        f"{mo_path.name} ({language}) differs from django.po for {len(stale)} entries; run `make messages` "
        f"(or `portevoix compilemessages` from portevoix/) and commit the .mo file:\n"
        + "\n".join(f"  {msgid!r}" for msgid in stale[:30])
    )
    with mo_path.open("rb") as handle:
        compiled_translations = gettext.GNUTranslations(handle)
    assert " ".join(compiled_translations.info().get("plural-forms", "").split()) == PLURAL_FORMS[language]
    for entry in live_entries(load_po(language)):
        if not entry.msgid_plural:
            continue
        for count, form in PLURAL_SAMPLES[language].items():
            assert (
                compiled_translations.ngettext(entry.msgid, entry.msgid_plural, count)
                == entry.msgstr_plural[form]
            )


@pytest.mark.parametrize("language", LANGUAGES)
def test_django_uses_the_catalog(language):
    """Django loads our catalog beside its own (whose Russian has four plural forms) and picks our forms."""
    catalog = load_po(language)
    singles = [entry for entry in live_entries(catalog) if not entry.msgid_plural and not entry.msgctxt]
    plurals = [entry for entry in live_entries(catalog) if entry.msgid_plural and not entry.msgctxt]
    with translation.override(language):
        for entry in singles:
            assert translation.gettext(entry.msgid) == entry.msgstr, describe(entry)
        for entry in plurals:
            for count, form in PLURAL_SAMPLES[language].items():
                got = translation.ngettext(entry.msgid, entry.msgid_plural, count)
                assert got == entry.msgstr_plural[form], f"{describe(entry)} n={count}"
