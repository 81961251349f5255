"""The report as a PDF (fpdf2) in the form of Decree 30/2020/NĐ-CP.

A4 portrait; margins top 20 mm, bottom 20 mm, left 30 mm, right 15 mm; body 13 pt in the
report font (Times New Roman or the closest font found, embedded as a subset with a ToUnicode
map so the text layer keeps every diacritic); the national header on page 1; page numbers
centred in the top margin from page 2; the data's identity in the bottom margin of every page;
drafts carry "DỰ THẢO" across and atop every page. The creation date is the snapshot's, so a
rebuild from the same snapshot gives the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

from welfare.reports import formatting as fmt
from welfare.reports.fonts import FontFamily
from welfare.reports.model import Column, Report, Section, Table

LEFT, TOP, RIGHT, BOTTOM = 30.0, 20.0, 15.0, 20.0
PAGE_W, PAGE_H = 210.0, 297.0
TEXT_W = PAGE_W - LEFT - RIGHT
BODY_PT, LINE_MM = 13, 6.2
TABLE_PT, TABLE_LINE_MM = 9, 4.3
DRAFT = "DỰ THẢO"


def _cell_text(column: Column, value: Any) -> str:
    kind = column.kind
    if kind in ("text", "code"):
        return fmt.text(value)
    if kind in ("int", "money"):
        return fmt.number(value)
    if kind == "pct":
        return fmt.percent(value)
    if kind == "pp":
        return fmt.points(value)
    if kind == "date":
        return fmt.day(value)
    if kind == "datetime":
        return fmt.moment(value)
    return fmt.text(value)


def _document_class() -> type:
    from fpdf import FPDF

    class ReportDocument(FPDF):
        report: Report

        def header(self) -> None:
            if self.report.draft:
                with self.local_context(text_color=(192, 0, 0)):
                    self.set_font("body", "B", 12)
                    self.text(PAGE_W - RIGHT - self.get_string_width(DRAFT), 12, DRAFT)
            if self.page_no() > 1:  # Decree 30: numbers centred in the top margin, none on page 1
                self.set_font("body", "", BODY_PT)
                number = str(self.page_no())
                self.text(LEFT + TEXT_W / 2 - self.get_string_width(number) / 2, 13, number)
            self.set_xy(LEFT, TOP)

        def footer(self) -> None:
            if self.report.draft:  # drawn last, over the page's content, translucent
                with self.local_context(text_color=(200, 30, 30), fill_opacity=0.14):
                    self.set_font("body", "B", 96)
                    width = self.get_string_width(DRAFT)
                    with self.rotation(50, x=PAGE_W / 2, y=PAGE_H / 2):
                        self.text(PAGE_W / 2 - width / 2, PAGE_H / 2 + 12, DRAFT)
            self.set_y(-16)
            self.set_font("body", "I", 7.5)
            self.set_text_color(90, 90, 90)
            self.multi_cell(TEXT_W, 3.4, self.report.footer, align="C", new_x="LMARGIN", new_y="NEXT")
            self.multi_cell(TEXT_W, 3.4, self.report.data_line, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)

    return ReportDocument


class _Renderer:
    def __init__(self, report: Report, font: FontFamily) -> None:
        cls = _document_class()
        pdf = cls(orientation="P", unit="mm", format="A4")
        pdf.report = report
        for style, path in font.files.items():
            pdf.add_font("body", style, str(path))
        pdf.set_margins(LEFT, TOP, RIGHT)
        pdf.set_auto_page_break(True, BOTTOM)
        pdf.set_creation_date(report.dated)
        pdf.set_title(report.title)
        pdf.set_author(report.issuing_body)
        pdf.set_subject(f"{report.unit_name} ({report.unit_code}) — {report.data_line}")
        pdf.set_keywords(f"04/CTr-LĐLĐ {report.year} {report.unit_code}" + (f" {DRAFT}" if report.draft else ""))
        pdf.set_creator("welfare — nền tảng theo dõi Chương trình hành động 04/CTr-LĐLĐ")
        pdf.set_lang("vi-VN")
        pdf.set_display_mode("fullwidth")
        self.pdf = pdf
        self.report = report

    # -- building blocks --------------------------------------------------------------------------
    def _centred_block(self, x: float, width: float, lines: list[tuple[str, str, float]], y: float) -> float:
        pdf = self.pdf
        for text, style, size in lines:
            if text == "---":
                rule = width / 3
                pdf.set_line_width(0.3)
                pdf.line(x + (width - rule) / 2, y + 1.2, x + (width + rule) / 2, y + 1.2)
                y += 3
                continue
            # Header lines stay on one line when a smaller size allows it: about 11 pt in Times New Roman or
            # Liberation Serif, down to 9 pt in the wider DejaVu Serif fallback.
            fitted = size
            pdf.set_font("body", style, fitted)
            while pdf.get_string_width(text) > width - 2 * pdf.c_margin - 0.5 and fitted > 9:
                fitted -= 0.5
                pdf.set_font("body", style, fitted)
            pdf.set_xy(x, y)
            pdf.multi_cell(width, size * 0.45, text, align="C", new_x="LEFT", new_y="NEXT")
            y = pdf.get_y()
        return y

    def national_header(self) -> None:
        pdf, r = self.pdf, self.report
        left_w, right_w = 74.0, TEXT_W - 74.0
        left_end = self._centred_block(
            LEFT, left_w, [(r.governing_body, "", 12), (r.issuing_body, "B", 12), ("---", "", 0)], TOP
        )
        left_end = self._centred_block(LEFT, left_w, [(r.number_line, "", 13)], left_end + 1.5)
        pdf.set_font("body", "B", 13)
        motto = "Độc lập - Tự do - Hạnh phúc"
        motto_w = pdf.get_string_width(motto)
        right_x = LEFT + left_w
        y = self._centred_block(
            right_x, right_w, [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "B", 12), (motto, "B", 13)], TOP
        )
        pdf.set_line_width(0.3)
        pdf.line(right_x + (right_w - motto_w) / 2, y + 1.0, right_x + (right_w + motto_w) / 2, y + 1.0)
        right_end = self._centred_block(right_x, right_w, [(r.place_date, "I", 13)], y + 3)
        pdf.set_y(max(left_end, right_end) + 8)

    def title(self) -> None:
        pdf, r = self.pdf, self.report
        pdf.set_font("body", "B", 14)
        pdf.multi_cell(TEXT_W, 6.5, "BÁO CÁO", align="C", new_x="LMARGIN", new_y="NEXT")
        subtitle = r.title.removeprefix("Báo cáo ").strip()
        pdf.multi_cell(TEXT_W, 6.5, subtitle[:1].upper() + subtitle[1:], align="C", new_x="LMARGIN", new_y="NEXT")
        y = pdf.get_y() + 2
        pdf.set_line_width(0.3)
        pdf.line(LEFT + TEXT_W / 2 - 20, y, LEFT + TEXT_W / 2 + 20, y)
        pdf.set_y(y + 6)

    def paragraph(self, text: str, *, style: str = "", size: float = BODY_PT, indent: float = 10.0) -> None:
        pdf = self.pdf
        pdf.set_font("body", style, size)
        with (
            pdf.text_columns(text_align="J", line_height=1.35) as cols,
            cols.paragraph(first_line_indent=indent, bottom_margin=2) as par,
        ):
            par.write(fmt.text(text))
        pdf.set_x(LEFT)

    def heading(self, section: Section) -> None:
        pdf = self.pdf
        if section.level == 0:
            pdf.add_page()
            pdf.set_font("body", "B", BODY_PT)
            pdf.multi_cell(TEXT_W, LINE_MM, section.heading, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.multi_cell(TEXT_W, LINE_MM, section.annex_title, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("body", "I", 12)
            pdf.multi_cell(
                TEXT_W,
                5.5,
                f"(Kèm theo {self.report.title[:1].lower()}{self.report.title[1:]} — {self.report.unit_name})",
                align="C",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            pdf.ln(4)
            return
        if pdf.get_y() > PAGE_H - BOTTOM - 30:  # keep a heading with what follows
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font("body", "B", BODY_PT)
        pdf.multi_cell(TEXT_W, LINE_MM, section.heading, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def table(self, table: Table) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        columns = [c for c in table.columns if c.in_pdf]
        if pdf.get_y() > PAGE_H - BOTTOM - 35:
            pdf.add_page()
        pdf.set_font("body", "BI", 11)
        pdf.multi_cell(TEXT_W, 5.2, table.title, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.5)
        if not table.rows:
            self.paragraph("Không có.", size=11, indent=0)
        else:
            pdf.set_font("body", "", TABLE_PT)
            align = tuple("RIGHT" if c.kind in ("int", "money", "pct", "pp") else "LEFT" for c in columns)
            with pdf.table(
                width=TEXT_W,
                col_widths=tuple(c.width for c in columns),
                text_align=align,
                line_height=TABLE_LINE_MM,
                headings_style=FontFace(emphasis="BOLD", fill_color=(221, 235, 247)),
                repeat_headings=1,
                padding=0.8,
                borders_layout="ALL",
                v_align="MIDDLE",
                align="LEFT",
            ) as grid:
                head = grid.row()
                for c in columns:
                    head.cell(c.label, align="CENTER")
                for index, values in enumerate(table.rows):
                    bold = table.bold_last_row and index == len(table.rows) - 1
                    row = grid.row(style=FontFace(emphasis="BOLD") if bold else None)
                    for c in columns:
                        row.cell(_cell_text(c, values.get(c.key)))
        if table.note:
            pdf.ln(0.8)
            pdf.set_font("body", "I", 9.5)
            pdf.multi_cell(TEXT_W, 4.4, fmt.text(table.note), align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    def chart(self, key: str) -> None:
        pdf = self.pdf
        chart = self.report.charts.get(key)
        if chart is None:
            return
        if pdf.get_y() + chart.height_mm + 10 > PAGE_H - BOTTOM:
            pdf.add_page()
        pdf.set_font("body", "BI", 11)
        pdf.multi_cell(TEXT_W, 5.2, chart.title, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.image(io.BytesIO(chart.png), x=LEFT, w=chart.width_mm, h=chart.height_mm, alt_text=chart.title)
        pdf.ln(3)

    def signature(self) -> None:
        pdf, r = self.pdf, self.report
        if pdf.get_y() > PAGE_H - BOTTOM - 50:
            pdf.add_page()
        pdf.ln(6)
        y = pdf.get_y()
        left_w = 85.0
        pdf.set_xy(LEFT, y)
        pdf.set_font("body", "BI", 12)
        pdf.cell(left_w, 5.5, "Nơi nhận:", new_x="LEFT", new_y="NEXT")
        pdf.set_font("body", "", 11)
        for line in r.recipients:
            pdf.set_x(LEFT)
            pdf.multi_cell(left_w, 5, f"- {line}", align="L", new_x="LEFT", new_y="NEXT")
        left_end = pdf.get_y()
        right_end = self._centred_block(LEFT + left_w, TEXT_W - left_w, [(s, "B", 13) for s in r.signature], y)
        pdf.set_y(max(left_end, right_end + 25))

    # -- the document -----------------------------------------------------------------------------
    def render(self) -> bytes:
        pdf, r = self.pdf, self.report
        pdf.add_page()
        self.national_header()
        self.title()
        for text in r.intro:
            self.paragraph(text)
        signed = False
        for section in r.sections:
            if section.level == 0 and not signed:
                self.signature()
                signed = True
            self.heading(section)
            for text in section.paragraphs:
                self.paragraph(text)
            for table in section.tables:
                if table.in_pdf:
                    self.table(table)
            for key in section.charts:
                self.chart(key)
        if not signed:
            self.signature()
        return bytes(pdf.output())


def render_pdf(report: Report, font: FontFamily) -> tuple[bytes, int]:
    """The report's PDF bytes and its number of pages."""
    renderer = _Renderer(report, font)
    data = renderer.render()
    return data, int(renderer.pdf.pages_count)
