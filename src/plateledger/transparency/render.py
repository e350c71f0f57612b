"""Figures and reports as CSV, HTML and SVG, rendered on the server (no script needed)."""

from __future__ import annotations

import io
from html import escape

from plateledger import spreadsheet
from plateledger.transparency.figures import Figure
from plateledger.transparency.reports import Report

__all__ = ["bar_chart_svg", "figure_csv", "report_csv", "report_html", "report_pdf"]


def figure_csv(figure: Figure) -> str:
    out = io.StringIO()
    writer = spreadsheet.writer(out)
    writer.writerow(figure.columns)
    for row in figure.rows:
        writer.writerow([spreadsheet.cell(v) for v in row])
    return out.getvalue()


def report_csv(report: Report) -> str:
    """One row per element, then one row per row of each element's figure: its first column
    as ``key``, its last as ``value``, and the columns between as ``detail``
    (``column: value; …``, e.g. the hours of the day a reader collected)."""
    out = io.StringIO()
    writer = spreadsheet.writer(out)
    writer.writerow(["report", "statute", "agency", "period", "timezone", "element", "label",
                     "citation", "source", "key", "value", "note", "detail"])
    head = [report.kind, report.statute, report.agency, report.period.label, report.timezone]
    for e in report.elements:
        writer.writerow([*head, e.key, e.label, e.citation, e.source, "", spreadsheet.cell(e.value),
                         spreadsheet.cell(e.note), ""])
        if e.figure is not None:
            between = e.figure.columns[1:-1]
            for row in e.figure.rows:
                detail = "; ".join(f"{name}: {value}" for name, value in
                                   zip(between, row[1:-1], strict=False))
                writer.writerow([*head, e.key, e.label, e.citation, e.source,
                                 spreadsheet.cell(row[0]), spreadsheet.cell(row[-1]), "",
                                 spreadsheet.cell(detail)])
    return out.getvalue()


def _figure_table(figure: Figure) -> str:
    head = "".join(f"<th scope=\"col\">{escape(c)}</th>" for c in figure.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>"
        for row in figure.rows
    ) or f"<tr><td colspan=\"{len(figure.columns)}\">none</td></tr>"
    return (f"<table><caption>{escape(figure.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def report_html(report: Report) -> str:
    """A standalone HTML document of ``report`` (printable; no script, no outside asset)."""
    items = []
    for e in report.elements:
        value = "" if e.value is None else f"<p class=\"value\">{escape(str(e.value))}</p>"
        table = _figure_table(e.figure) if e.figure is not None else ""
        note = "" if e.note is None else f"<p class=\"note\">{escape(e.note)}</p>"
        items.append(
            f"<section id=\"{escape(e.key)}\"><h2>{escape(e.label)}</h2>"
            f"<p class=\"cite\">{escape(e.citation)} · source: {escape(e.source)}</p>"
            f"{value}{table}{note}</section>"
        )
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(report.title)} — {escape(report.agency)}</title></head><body>"
        f"<h1>{escape(report.title)}</h1>"
        f"<p class=\"statute\">{escape(report.statute)}</p>"
        f"<p>Agency: {escape(report.agency)} · period {escape(report.period.label)} "
        f"({escape(report.timezone)}) · "
        f"generated {escape(report.generated_at.isoformat())} from the first "
        f"{report.log_size} entries of the audit log</p>"
        + "".join(items) + "</body></html>"
    )


def bar_chart_svg(title: str, labels: list[str], values: list[int], *, width: int = 640,
                  height: int = 160) -> str:
    """A bar chart as inline SVG: one bar per value, labelled for screen readers."""
    count = max(1, len(values))
    top = max([1, *values])
    bar = width / count
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = round((height - 20) * value / top, 1)
        bars.append(
            f"<rect x=\"{i * bar + 1:.1f}\" y=\"{height - h:.1f}\" "
            f"width=\"{max(1.0, bar - 2):.1f}\""
            f" height=\"{h}\"><title>{escape(label)}: {value}</title></rect>"
        )
    return (f"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" class=\"chart\" "
            f"viewBox=\"0 0 {width} {height}\" aria-label=\"{escape(title)}\">"
            f"<title>{escape(title)}</title>{''.join(bars)}</svg>")


def _latin1(text: str) -> str:
    """``text`` in the PDF core fonts' character set (dashes and quotes made plain)."""
    plain = (text.replace("\u2014", "-").replace("\u2013", "-").replace("\u2019", "'")
             .replace("\u00b7", "-").replace("\u2026", "..."))
    return plain.encode("latin-1", "replace").decode("latin-1")


def report_pdf(report: Report) -> bytes:
    """``report`` as a PDF (fpdf2, core fonts, uncompressed so that it can be searched)."""
    from fpdf import FPDF  # type: ignore[import-untyped]
    from fpdf.enums import XPos, YPos  # type: ignore[import-untyped]

    pdf = FPDF(format="Letter")
    pdf.set_compression(False)
    pdf.set_title(_latin1(f"{report.title} - {report.agency}"))
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = 10, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, size * 0.5, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(report.title, 16, "B")
    line(report.statute, 11, "I")
    line(f"Agency: {report.agency}; period {report.period.label} ({report.timezone}); "
         "generated "
         f"{report.generated_at.isoformat()} from the first {report.log_size} entries of "
         "the audit log")
    for e in report.elements:
        pdf.ln(2)
        line(e.label, 12, "B")
        line(f"{e.citation}; source: {e.source}", 9, "I")
        if e.value is not None:
            line(str(e.value))
        if e.figure is not None:
            line(" | ".join(e.figure.columns), 9, "B")
            for row in e.figure.rows or (("none",),):
                line(" | ".join(str(v) for v in row), 9)
        if e.note is not None:
            line(e.note, 9, "I")
    return bytes(pdf.output())
