"""The PDF report, drawn with ReportLab (tables, and charts from reportlab.graphics): no browser involved.

Text is set in DejaVu Sans, vendored under fonts/ (Latin with accents and Cyrillic; its licence is in
fonts/LICENSE). Should the files be missing, Debian's copy is used, and failing that ReportLab's Helvetica
(which has no Cyrillic: such letters would come out as blanks), with a warning in the log.

Call inside ``translation.override(language)``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import formats as django_formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from portevoix.reports import formatting as fmt
from portevoix.reports.data import Chart, PostRow, Report

logger = logging.getLogger(__name__)

FONT_DIRS = (Path(__file__).parent / "fonts", Path("/usr/share/fonts/truetype/dejavu"))
REGULAR, BOLD = "PortevoixSans", "PortevoixSans-Bold"
PALETTE = [
    colors.HexColor(value)
    for value in ("#4c6ef5", "#e8590c", "#2b8a3e", "#c2255c", "#5f3dc4", "#0b7285", "#868e96")
]
LOGO_BOX = (45 * mm, 18 * mm)
MAX_POST_ROWS = 200
_fonts: tuple[str, str] | None = None


def fonts() -> tuple[str, str]:
    """(regular, bold) font names registered with ReportLab: DejaVu Sans when found, else Helvetica."""
    global _fonts
    if _fonts is not None:
        return _fonts
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
            pdfmetrics.registerFont(TTFont(BOLD, str(bold)))
            _fonts = (REGULAR, BOLD)
            return _fonts
    logger.warning("DejaVu Sans not found: PDF reports use Helvetica, which has no Cyrillic letters")
    _fonts = ("Helvetica", "Helvetica-Bold")
    return _fonts


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=17, leading=21, spaceAfter=2 * mm),
        "h2": ParagraphStyle(
            "h2", fontName=bold, fontSize=12.5, leading=16, spaceBefore=5 * mm, spaceAfter=2 * mm
        ),
        "body": ParagraphStyle("body", fontName=regular, fontSize=9, leading=12),
        "small": ParagraphStyle(
            "small", fontName=regular, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#495057")
        ),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=7.5, leading=9),
        "cellbold": ParagraphStyle("cellbold", fontName=bold, fontSize=7.5, leading=9),
        "head": ParagraphStyle("head", fontName=bold, fontSize=6.5, leading=8),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _date(value: dt.date) -> str:
    return django_formats.date_format(value, "SHORT_DATE_FORMAT")


def _table(rows: list[list[object]], widths: list[float] | None = None, *, header: bool = True) -> Table:
    regular, bold = fonts()
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), regular),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dee2e6")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style += [
            ("FONTNAME", (0, 0), (-1, 0), bold),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f3f5")),
        ]
    table.setStyle(TableStyle(style))
    return table


def _logo(logo: bytes | None) -> Image | None:
    if not logo:
        return None
    try:
        reader = ImageReader(io.BytesIO(logo))
        width, height = reader.getSize()
    except Exception:  # a stored logo is checked on upload; a damaged one is left out, not fatal
        logger.warning("The workspace's report logo could not be read; the report is drawn without it")
        return None
    scale = min(LOGO_BOX[0] / width, LOGO_BOX[1] / height)
    return Image(io.BytesIO(logo), width=width * scale, height=height * scale, hAlign="LEFT")


def _line_chart(chart: Chart, width: float, height: float) -> Drawing:
    regular, _bold = fonts()
    drawing = Drawing(width, height)
    plot = LinePlot()
    legend_rows = (len(chart.series) + 1) // 2 if len(chart.series) > 1 else 0
    plot.x, plot.y = 40, 22 + legend_rows * 10
    plot.width, plot.height = width - 60, height - 40 - legend_rows * 10
    data = []
    days: list[dt.date] = []
    for series in chart.series:
        points = [(index, value) for index, (_day, value) in enumerate(series.points) if value is not None]
        days = [day for day, _value in series.points] or days
        data.append(points or [(0, 0)])
    plot.data = data
    count = max(len(days), 2)
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = count - 1
    step = max(1, (count - 1) // 6)
    plot.xValueAxis.valueSteps = list(range(0, count, step))
    plot.xValueAxis.labelTextFormat = lambda index: (
        django_formats.date_format(days[int(index)], "d.m") if 0 <= int(index) < len(days) else ""
    )
    values = [value for points in data for _x, value in points]
    if values and max(values) == min(values):
        plot.yValueAxis.valueMin = max(0, min(values) - 1)
        plot.yValueAxis.valueMax = max(values) + 1
    plot.yValueAxis.labelTextFormat = lambda value: fmt.number(value, 0)
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = regular
        axis.labels.fontSize = 6.5
    for index in range(len(data)):
        plot.lines[index].strokeColor = PALETTE[index % len(PALETTE)]
        plot.lines[index].strokeWidth = 1.4
    drawing.add(plot)
    drawing.add(String(0, height - 10, chart.title, fontName=regular, fontSize=9))
    if len(chart.series) > 1:
        legend = Legend()
        legend.x, legend.y = 40, legend_rows * 10 + 2
        legend.fontName, legend.fontSize = regular, 6.5
        legend.alignment = "right"
        legend.columnMaximum = legend_rows
        legend.colorNamePairs = [
            (PALETTE[index % len(PALETTE)], series.label[:70]) for index, series in enumerate(chart.series)
        ]
        legend.deltax = (width - 60) / 2
        drawing.add(legend)
    return drawing


def _bar_chart(chart: Chart, width: float, height: float) -> Drawing:
    regular, _bold = fonts()
    drawing = Drawing(width, height)
    bars = VerticalBarChart()
    bars.x, bars.y = 40, 30
    bars.width, bars.height = width - 60, height - 50
    bars.data = [[value or 0 for _day, value in series.points] for series in chart.series]
    bars.categoryAxis.categoryNames = [name[:14] for name in chart.categories]
    bars.categoryAxis.labels.fontName = regular
    bars.categoryAxis.labels.fontSize = 6.5
    bars.valueAxis.labels.fontName = regular
    bars.valueAxis.labels.fontSize = 6.5
    bars.valueAxis.valueMin = 0
    bars.valueAxis.labelTextFormat = lambda value: fmt.number(value, 0)
    bars.bars[0].fillColor = PALETTE[0]
    drawing.add(bars)
    drawing.add(String(0, height - 10, chart.title, fontName=regular, fontSize=9))
    return drawing


def _chart(chart: Chart, styles: dict[str, ParagraphStyle], width: float) -> list[object]:
    if chart.empty:
        return [
            KeepTogether(
                [
                    _p(chart.title, styles["body"]),
                    _p(chart.note or fmt.not_available(), styles["small"]),
                    Spacer(1, 3 * mm),
                ]
            )
        ]
    height = 62 * mm
    drawing = (_bar_chart if chart.kind == "bar" else _line_chart)(chart, width, height)
    parts: list[object] = [drawing]
    if chart.note:
        parts.append(_p(chart.note, styles["small"]))
    parts.append(Spacer(1, 3 * mm))
    return [KeepTogether(parts)]


def _post_table(rows: list[PostRow], styles: dict[str, ParagraphStyle], *, limit: int) -> Table:
    header: list[object] = [
        _("Post"),
        _("Channel"),
        _("Published"),
        _("Views"),
        _("Engagements"),
        "ER %",
        "ERR %",
        _("Clicks"),
        _("Visits"),
        _("Conversions"),
    ]
    body: list[list[object]] = [[_p(str(cell), styles["head"]) for cell in header]]
    for row in rows[:limit]:
        body.append(
            [
                _p(row.title[:70], styles["cell"]),
                _p(row.channel_name[:60], styles["cell"]),
                *[
                    _p(cell, styles["cell"])
                    for cell in (
                        _date(row.published_at),
                        fmt.number(row.views, short=True),
                        fmt.number(row.engagements, short=True),
                        fmt.figure(row.er, "%", short=True).replace(" %", ""),
                        fmt.figure(row.err, "%", short=True).replace(" %", ""),
                        fmt.number(row.clicks, short=True),
                        fmt.number(row.visits, short=True),
                        fmt.number(row.conversions, short=True),
                    )
                ],
            ]
        )
    widths = [x * mm for x in (40, 30, 18, 14, 16, 11, 11, 12, 13, 17)]
    return _table(body, widths)


def render_pdf(report: Report, *, logo: bytes | None = None) -> bytes:
    styles = _styles()
    buffer = io.BytesIO()
    title = _("Report: %(workspace)s") % {"workspace": report.workspace_name}
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=title,
        author="Portevoix",
        subject=_("Social media report"),
        lang=report.language,
    )
    width = document.width
    story: list[object] = []
    image = _logo(logo)
    if image is not None:
        story += [image, Spacer(1, 3 * mm)]
    period = _("%(start)s – %(end)s (compared with %(pstart)s – %(pend)s)") % {
        "start": _date(report.start),
        "end": _date(report.end),
        "pstart": _date(report.previous_start),
        "pend": _date(report.previous_end),
    }
    story += [_p(title, styles["title"]), _p(period, styles["body"])]
    for note in report.notes:
        story.append(_p(note, styles["small"]))
    story.append(_p(_("In the tables, n/a means not available."), styles["small"]))

    story.append(_p(_("Key figures"), styles["h2"]))
    kpi_rows: list[list[object]] = [
        [
            _("Figure"),
            _("This period"),
            _("Previous period"),
            pgettext("compared with the previous period", "Change"),
            _("Formula"),
        ]
    ]
    for figure in report.kpis:
        kpi_rows.append(
            [
                _p(figure.label, styles["cellbold"]),
                fmt.figure(figure.value, figure.unit, figure.text),
                fmt.figure(figure.previous, figure.unit),
                fmt.change(figure.change),
                _p(figure.formula + (f" ({figure.source})" if figure.source else ""), styles["cell"]),
            ]
        )
    story.append(_table(kpi_rows, [x * mm for x in (34, 26, 26, 16, 80)]))

    story.append(_p(_("Funnel"), styles["h2"]))
    funnel_rows: list[list[object]] = [[_("Step"), _("Value"), _("From the previous step")]]
    for step in report.funnel:
        funnel_rows.append(
            [
                step.label,
                fmt.figure(step.value, step.unit, step.text),
                fmt.figure(step.rate, "%") if step.rate is not None else "—",
            ]
        )
    story.append(_table(funnel_rows, [50 * mm, 40 * mm, 40 * mm]))

    story.append(_p(_("By network"), styles["h2"]))
    network_rows: list[list[object]] = [
        [
            _("Network"),
            _("Channels"),
            _("Posts"),
            _("Followers"),
            _("Growth"),
            _("Views"),
            _("Engagements"),
            "ER %",
            "ERR %",
            _("Clicks"),
            _("Visits"),
            _("Conversions"),
        ]
    ]
    for row in report.networks:
        cells = [
            row.network,
            fmt.number(row.channels, short=True),
            fmt.number(row.posts, short=True),
            fmt.number(row.followers, short=True),
            fmt.number(row.growth, short=True),
            fmt.number(row.views, short=True),
            fmt.number(row.engagements, short=True),
            fmt.figure(row.er, "%", short=True).replace(" %", ""),
            fmt.figure(row.err, "%", short=True).replace(" %", ""),
            fmt.number(row.clicks, short=True),
            fmt.number(row.visits, short=True),
            fmt.number(row.conversions, short=True),
        ]
        network_rows.append([_p(cell, styles["cell"]) for cell in cells])
    network_rows[0] = [_p(str(cell), styles["head"]) for cell in network_rows[0]]
    if len(network_rows) == 1:
        story.append(_p(_("No channels yet."), styles["body"]))
    else:
        first = 20 * mm
        story.append(_table(network_rows, [first] + [(width - first) / 11] * 11))

    story += [CondPageBreak(80 * mm), _p(_("Charts"), styles["h2"])]
    for chart in report.charts:
        story += _chart(chart, styles, width)

    story.append(_p(_("Best posts (by engagements)"), styles["h2"]))
    if report.top_posts:
        story.append(_post_table(report.top_posts, styles, limit=len(report.top_posts)))
    else:
        story.append(_p(_("No post with engagement figures in this period."), styles["body"]))
    if report.bottom_posts:
        story.append(_p(_("Weakest posts (by engagements)"), styles["h2"]))
        story.append(_post_table(report.bottom_posts, styles, limit=len(report.bottom_posts)))

    story.append(_p(_("All posts of the period"), styles["h2"]))
    if report.posts:
        story.append(_post_table(report.posts, styles, limit=MAX_POST_ROWS))
        if len(report.posts) > MAX_POST_ROWS:
            story.append(
                _p(
                    _("%(n)s more posts are in the CSV export.") % {"n": len(report.posts) - MAX_POST_ROWS},
                    styles["small"],
                )
            )
    else:
        story.append(_p(_("No post was published in this period."), styles["body"]))

    generated = _("Generated by Portevoix on %(when)s.") % {
        "when": django_formats.date_format(report.generated_at, "SHORT_DATETIME_FORMAT")
    }
    story += [Spacer(1, 4 * mm), _p(generated, styles["small"])]

    regular, _bold = fonts()

    def footer(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.HexColor("#868e96"))
        canvas.drawString(14 * mm, 8 * mm, f"{report.workspace_name} · {period}"[:120])
        canvas.drawRightString(A4[0] - 14 * mm, 8 * mm, str(doc.page))
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)  # type: ignore[arg-type]
    return buffer.getvalue()
