"""The PDF (valid, with its texts, charts and the logo; Cyrillic and accents set in DejaVu Sans) and the
CSV (BOM, formula-safe, same figures)."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from portevoix.media.tests.helpers import image_bytes
from portevoix.reports import csv_export, pdf
from portevoix.reports.data import report_build
from portevoix.reports.tests.conftest import END, START

pytestmark = pytest.mark.django_db


def render(workspace, language="en", logo=None) -> bytes:
    with translation.override(language):
        report = report_build(workspace, START, END, language=language)
        return pdf.render_pdf(report, logo=logo)


def text_of(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_is_valid_and_holds_the_figures_the_logo_and_cyrillic(fixture):
    fixture.workspace.name = "Maison Lumière — Дом"
    fixture.workspace.save()
    fixture.workspace.refresh_from_db()
    logo = image_bytes("PNG")
    content = render(fixture.workspace, logo=logo)
    assert content.startswith(b"%PDF-")
    reader, text = text_of(content)
    assert len(reader.pages) >= 2
    assert "Maison Lumière — Дом" in text
    assert "Лампа «Опалин»" in text  # Cyrillic comes out as text, not blanks
    assert "Key figures" in text
    assert "Funnel" in text
    assert "By network" in text
    assert "ER by reach" in text
    assert "Sum of engagements / sum of reach" in text
    assert "Not available" in text  # site figures without a source
    assert "1,550" in text  # followers at the end
    # The fonts are embedded DejaVu Sans (covers Cyrillic); ReportLab's Helvetica would not be.
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any(name.endswith("+DejaVuSans") for name in fonts), fonts
    # The logo is an image of the first page.
    first = reader.pages[0]
    assert len(first.images) == 1
    # Charts are vector drawings: the page holding them has path operators beyond the tables' lines.
    assert sum(len(page.get_contents().get_data()) for page in reader.pages) > 10_000


def test_pdf_in_french_and_russian(fixture):
    _reader, french = text_of(render(fixture.workspace, "fr"))
    _reader, russian = text_of(render(fixture.workspace, "ru"))
    assert "Portevoix" in french
    assert "Portevoix" in russian
    # Dates follow the language's short format.
    assert "01/03/2026" in french
    assert "01.03.2026" in russian


def test_pdf_of_an_empty_workspace(team):
    content = render(team.workspace)
    assert content.startswith(b"%PDF-")
    _reader, text = text_of(content)
    assert "No post was published in this period." in text
    assert "No channels yet." in text


def test_csv_has_a_bom_the_same_figures_and_no_formula(fixture):
    with translation.override("en"):
        report = report_build(fixture.workspace, START, END)
        content = csv_export.render_csv(report)
    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    kpis = {row[1]: row for row in rows if row and row[0] == "kpi"}
    assert kpis["followers"][3] == "1550"
    assert kpis["engagements"][3] == "71"
    assert kpis["err"][3] == "5.6"
    assert kpis["visits"][3] == ""  # not available: empty, never 0
    assert kpis["clicks"][4] == "1"  # previous period
    posts = [row for row in rows if row and row[0] == "post" and row[1] != "post_id"]
    assert len(posts) == 3
    titles = {row[2] for row in posts}
    assert "Лампа «Опалин»" in titles
    assert '\'=HYPERLINK("x")' in titles  # a formula is neutralised
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6", "'+33 6"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        (-5, "-5"),
        (None, ""),
        (2.50, "2.5"),
    ],
)
def test_safe_cell(value, expected):
    assert csv_export.safe_cell(value) == expected
