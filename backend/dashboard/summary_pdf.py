"""The one-page PDF of a patient's last cycle (backend.dashboard.cycle_summary), drawn with ReportLab.

One page, always: each list is cut to a number of lines, and the lines are lowered until the whole
sheet fits on one A4 page; whatever is cut is said ("and 12 more"). The font is DejaVu Sans (Vera's
shapes and widths, with the letters of every European alphabet: Łucja, Kőrösi, Çelik, Σοφία, Ольга),
shipped in backend/dashboard/fonts (no system font needed) and embedded, so that the text can be
read back and searched. ReportLab's own Vera drew those letters as empty boxes."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from backend.dashboard.cycle_summary import CycleSummary
from backend.dashboard.presenters import TimelineEntry
from backend.dashboard.wording import drug_label

FONT, BOLD = "CareLoopSans", "CareLoopSans-Bold"
_FONTS = Path(__file__).parent / "fonts"
# The units' superscripts set as superscripts: at the body's size a superscript glyph is too small to read.
_SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9"}
# The lines each list starts with, lowered in turn until the sheet fits on one page.
LIMITS = (40, 32, 26, 21, 17, 14, 12, 10, 8, 6, 5, 4, 3, 2, 1)
SEVERITIES = {"critical": _lazy("Critical"), "urgent": _lazy("Urgent")}
GRADE_COLOURS = {3: colors.HexColor("#fde8e6"), 4: colors.HexColor("#f9c9c3")}


def _register_fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(_FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(_FONTS / "DejaVuSans-Bold.ttf")))


def markup(text: str) -> str:
    """Plain text as a Paragraph's markup: escaped, superscript digits set as superscripts."""
    out = escape(text)
    for glyph, digit in _SUPERSCRIPTS.items():
        out = out.replace(glyph, f"<super>{digit}</super>")
    return out


class Styles:
    def __init__(self) -> None:
        self.body = ParagraphStyle("body", fontName=FONT, fontSize=8, leading=10)
        self.small = ParagraphStyle(
            "small", parent=self.body, fontSize=7, leading=8.6, textColor=colors.HexColor("#3d4b5c")
        )
        self.title = ParagraphStyle("title", parent=self.body, fontName=BOLD, fontSize=14, leading=17)
        self.heading = ParagraphStyle(
            "heading", parent=self.body, fontName=BOLD, fontSize=9.5, leading=12, spaceBefore=5
        )
        self.cell_bold = ParagraphStyle("cell_bold", parent=self.body, fontName=BOLD)


def _date(day: date) -> str:
    return dateformat.format(day, "j M Y")  # the month's name in the language in force


def _when(at: datetime, tz: Any) -> str:
    return dateformat.format(at.astimezone(tz), "j M H:i")


def _grade(grade: int | None) -> str:
    return "—" if grade is None else f"G{grade}"


def _more(count: int, worst: bool = False) -> str:
    if worst:
        return ngettext(
            "and %(n)d more (the highest grades are shown)", "and %(n)d more (the highest grades are shown)", count
        ) % {"n": count}
    return ngettext("and %(n)d more", "and %(n)d more", count) % {"n": count}


def _cut(items: Sequence[Any], limit: int) -> tuple[list[Any], int]:
    return list(items[:limit]), max(0, len(items) - limit)


def _worst_kept(entries: Sequence[TimelineEntry], limit: int) -> tuple[list[TimelineEntry], int]:
    """At most `limit` readings, the highest grades kept (then the latest), shown oldest first."""
    if len(entries) <= limit:
        return list(entries), 0
    ranked = sorted(enumerate(entries), key=lambda item: (item[1].grade or 0, item[0]), reverse=True)
    kept = sorted(ranked[:limit], key=lambda item: item[0])
    return [entry for _, entry in kept], len(entries) - limit


def _table(rows: list[list[Any]], widths: Sequence[float], shade: list[tuple[int, int]] | None = None) -> Table:
    table = Table(rows, colWidths=list(widths), hAlign="LEFT", repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#5b6877")),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#d5dbe2")),
    ]
    for row, grade in shade or []:
        style.append(("BACKGROUND", (0, row), (-1, row), GRADE_COLOURS[grade]))
    table.setStyle(TableStyle(style))
    return table


class _Sheet:
    """The sheet's flowables for one set of limits."""

    def __init__(self, summary: CycleSummary, limit: int, styles: Styles, width: float) -> None:
        self.s = summary
        self.limit = limit
        self.st = styles
        self.width = width
        self.tz = summary.record.tz

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(markup(text), style or self.st.body)

    def more_row(self, count: int, columns: int, worst: bool = False) -> list[Any]:
        return ["", self.p(_more(count, worst), self.st.small)] + [""] * (columns - 2)

    def head(self) -> list[Flowable]:
        s, rec = self.s, self.s.record
        if s.cycle is None:
            when = _("Cycle 1 has not started (planned for %(day)s).") % {"day": _date(rec.calendar.first_day)}
        else:
            assert s.first is not None and s.last is not None
            position = rec.regimen
            when = _("Cycle %(cycle)d: %(first)s – %(last)s (today day %(day)s)") % {
                "cycle": s.cycle,
                "first": _date(s.first),
                "last": _date(s.last),
                "day": position.get("day") or "-",
            }
        printed = _("Printed %(at)s (%(zone)s), the patient's local time.") % {
            "at": _when(rec.now, self.tz),
            "zone": rec.patient.timezone,
        }
        holds = s.holds
        hold_lines = [self.p(_("Holds in force: none."), self.st.body)] if not holds else []
        for reason, drugs in holds:
            hold_lines.append(
                Paragraph(
                    f"<b>{markup(_('Hold %(drugs)s') % {'drugs': ' and '.join(drugs)})}:</b> {markup(reason)}",
                    self.st.body,
                )
            )
        return [
            self.p(_("CareLoop · cycle summary for the clinic visit"), self.st.small),
            self.p(s.patient.display_name, self.st.title),
            self.p(when, self.st.cell_bold),
            self.p(_("Doses now: %(doses)s.") % {"doses": s.doses_now}),
            *hold_lines,
            self.p(printed, self.st.small),
        ]

    def labs(self) -> list[Flowable]:
        out: list[Flowable] = [self.p(_("Lab values"), self.st.heading)]
        if not self.s.labs:
            return [*out, self.p(_("No lab value in this cycle."))]
        rows: list[list[Any]] = [[_("Collected"), _("Value"), _("CTCAE")]]
        shade = []
        # An analyte's readings together, its highest grades kept when the list is cut.
        each = max(1, self.limit // max(1, len(self.s.labs)) + 1)
        for entries in self.s.labs.values():
            kept, more = _worst_kept(entries, each)
            for entry in kept:
                if entry.grade is not None and entry.grade >= 3:
                    shade.append((len(rows), min(entry.grade, 4)))
                rows.append([_when(entry.at, self.tz), self.p(entry.title), _grade(entry.grade)])
            if more:
                rows.append(self.more_row(more, 3, worst=True))
        return [*out, _table(rows, (24 * mm, self.width - 40 * mm, 16 * mm), shade)]

    def symptoms(self) -> list[Flowable]:
        out: list[Flowable] = [self.p(_("Symptom grades"), self.st.heading)]
        if not self.s.symptoms:
            return [*out, self.p(_("No symptom reported in this cycle."))]
        kept, more = _worst_kept(self.s.symptoms, self.limit)
        rows: list[list[Any]] = [[_("Reported"), _("Symptom"), _("CTCAE")]]
        for entry in kept:
            text = entry.title + (f" ({entry.detail})" if entry.detail else "")
            rows.append([_when(entry.at, self.tz), self.p(text), _grade(entry.grade)])
        if more:
            rows.append(self.more_row(more, 3, worst=True))
        return [*out, _table(rows, (24 * mm, self.width - 40 * mm, 16 * mm))]

    def adherence(self) -> list[Flowable]:
        out: list[Flowable] = [self.p(_("Doses taken of those due"), self.st.heading)]
        rows: list[list[Any]] = [[_("Drug"), _("Taken"), _("Due"), _("Missed"), _("Skipped"), _("Vomited"), _("Late")]]
        for drug, cell in self.s.adherence:
            if cell is None or not cell.due:
                rows.append([drug_label(drug), "—", "0", "", "", "", ""])
                continue
            rows.append(
                [
                    drug_label(drug),
                    f"{cell.taken} ({cell.percent}%)",
                    str(cell.due),
                    str(cell.missed),
                    str(cell.skipped),
                    str(cell.vomited),
                    str(cell.late),
                ]
            )
        if len(rows) == 1:
            return [*out, self.p(_("No dose due yet in this cycle."))]
        rest = (self.width - 52 * mm) / 5
        return [*out, _table(rows, (30 * mm, 22 * mm, rest, rest, rest, rest, rest))]

    def alerts(self) -> list[Flowable]:
        out: list[Flowable] = [self.p(_("Alerts"), self.st.heading)]
        if not self.s.alerts:
            return [*out, self.p(_("No alert in this cycle."))]
        kept, more = _cut(self.s.alerts, self.limit)
        rows: list[list[Any]] = [[_("Raised"), _("Alert"), _("CTCAE"), _("Outcome")]]
        for line in kept:
            rows.append(
                [
                    _when(line.at, self.tz),
                    self.p(f"{SEVERITIES.get(line.severity, line.severity.capitalize())}: {line.title}"),
                    _grade(line.grade),
                    self.p(line.outcome),
                ]
            )
        if more:
            rows.append(self.more_row(more, 4))
        return [*out, _table(rows, (24 * mm, self.width - 84 * mm, 14 * mm, 46 * mm))]

    def decisions(self) -> list[Flowable]:
        out: list[Flowable] = [self.p(_("Dose decisions"), self.st.heading)]
        if not self.s.decisions:
            return [*out, self.p(_("No dose decision in this cycle."))]
        kept, more = _cut(self.s.decisions, self.limit)
        rows: list[list[Any]] = [[_("Decided"), _("Decision"), _("By")]]
        for line in kept:
            text = line.text + (f" — {line.reason}" if line.reason else "")
            rows.append([_when(line.at, self.tz), self.p(text), self.p(line.by)])
        if more:
            rows.append(self.more_row(more, 3))
        return [*out, _table(rows, (24 * mm, self.width - 64 * mm, 40 * mm))]

    def flowables(self) -> list[Flowable]:
        sections: list[Callable[[], list[Flowable]]] = [
            self.labs,
            self.symptoms,
            self.adherence,
            self.alerts,
            self.decisions,
        ]
        out: list[Flowable] = self.head()
        for section in sections:
            out.append(KeepTogether(section()))
        out.append(Spacer(1, 2 * mm))
        return out


def _build(summary: CycleSummary, limit: int) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_("CareLoop cycle summary"),  # the document's metadata names no patient
        author="CareLoop",
        creator="CareLoop",
    )
    doc.build(_Sheet(summary, limit, Styles(), doc.width).flowables())
    return buffer.getvalue(), doc.page


def summary_pdf(summary: CycleSummary) -> bytes:
    """The summary on one A4 page: the longest lists that fit."""
    _register_fonts()
    for limit in LIMITS:
        pdf, pages = _build(summary, limit)
        if pages == 1:
            return pdf
    return pdf  # not reached in practice: at one line a list (notes at most 500 characters) a third of a page
