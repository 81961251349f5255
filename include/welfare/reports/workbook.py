"""The report as an Excel workbook (xlsxwriter): a cover, one sheet per section, the charts.

Figures are real numbers with Vietnamese-agnostic number formats (Excel shows the reader's own
separators); every text is written with `write_string`, so a unit name or a reason that starts
with "=" stays text. Creation time comes from the snapshot, so two builds are byte-identical.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

from welfare.config import TIMEZONE
from welfare.reports import formatting as fmt
from welfare.reports.model import Column, Report, Section, Table

DRAFT = "DỰ THẢO"
FONT = "Times New Roman"
NUMBER_FORMATS = {
    "int": "#,##0",
    "money": "#,##0",
    "pct": "0.0%",
    "pp": "0.0",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
}
WIDTHS = {"text": 34, "code": 11, "int": 12, "money": 17, "pct": 10, "pp": 11, "date": 12, "datetime": 16}
CM_TO_IN = 1 / 2.54


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if ("T" in value or " " in value) else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(TIMEZONE).replace(tzinfo=None) if value.tzinfo else value
    return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - Excel cells hold local, naive times


class _Writer:
    def __init__(self, report: Report, target: io.BytesIO) -> None:
        import xlsxwriter

        self.report = report
        self.book = xlsxwriter.Workbook(
            target,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
        )
        base = {"font_name": FONT, "font_size": 11, "valign": "top"}
        f = self.book.add_format
        self.formats: dict[str, Any] = {
            "text": f({**base, "text_wrap": True, "border": 1}),
            "code": f({**base, "border": 1}),
            "head": f({**base, "bold": True, "text_wrap": True, "border": 1, "bg_color": "#DDEBF7", "align": "center"}),
            "title": f({**base, "bold": True, "font_size": 13}),
            "heading": f({**base, "bold": True, "font_size": 12}),
            "table_title": f({**base, "bold": True, "italic": True}),
            "note": f({**base, "italic": True, "font_size": 10}),
            "plain": f({**base}),
            "plain_bold": f({**base, "bold": True}),
            "wrap": f({**base, "text_wrap": True}),
            "draft": f({**base, "bold": True, "font_size": 14, "font_color": "#C00000"}),
            "centre_bold": f({**base, "bold": True, "align": "center"}),
            "centre": f({**base, "align": "center"}),
            "centre_italic": f({**base, "italic": True, "align": "center"}),
        }
        for kind, number_format in NUMBER_FORMATS.items():
            self.formats[kind] = f({**base, "num_format": number_format, "border": 1})
            self.formats[kind + "_bold"] = f({**base, "num_format": number_format, "border": 1, "bold": True})
        self.formats["text_bold"] = f({**base, "text_wrap": True, "border": 1, "bold": True})
        self.formats["code_bold"] = f({**base, "border": 1, "bold": True})

    # -- cells ------------------------------------------------------------------------------------
    def string(self, sheet: Any, row: int, col: int, value: Any, style: str = "plain") -> None:
        """Every text goes through here: write_string never turns text into a formula."""
        value = fmt.text(value)
        if value:
            sheet.write_string(row, col, value, self.formats[style])
        else:
            sheet.write_blank(row, col, None, self.formats[style])

    def cell(self, sheet: Any, row: int, col: int, column: Column, value: Any, bold: bool = False) -> None:
        style = column.kind + ("_bold" if bold else "")
        if column.kind in ("text", "code"):
            self.string(sheet, row, col, value, style)
        elif value is None:
            sheet.write_blank(row, col, None, self.formats[style])
        elif column.kind in ("date", "datetime"):
            sheet.write_datetime(row, col, _as_datetime(value), self.formats[style])
        elif column.kind == "pp":
            sheet.write_number(row, col, round(float(value) * 100, 10), self.formats[style])
        else:
            sheet.write_number(row, col, float(value) if column.kind == "pct" else value, self.formats[style])

    # -- sheets -----------------------------------------------------------------------------------
    def page_setup(self, sheet: Any, landscape: bool = False) -> None:
        sheet.set_paper(9)  # A4
        if landscape:
            sheet.set_landscape()
        else:
            sheet.set_portrait()
        sheet.set_margins(left=3.0 * CM_TO_IN, right=1.5 * CM_TO_IN, top=2.0 * CM_TO_IN, bottom=2.0 * CM_TO_IN)
        sheet.fit_to_pages(1, 0)
        title = self.report.title.replace("&", "&&")
        sheet.set_header(f'&C&"{FONT},Bold"&14{DRAFT}' if self.report.draft else "")
        sheet.set_footer(f'&L&"{FONT},Italic"&8{title}&R&"{FONT}"&8Trang &P/&N')

    def banner(self, sheet: Any, heading: str) -> int:
        """The rows at the top of every sheet: title, scope and data, draft mark, heading."""
        r = self.report
        self.string(sheet, 0, 0, r.title, "title")
        self.string(sheet, 1, 0, f"{r.unit_name} ({r.unit_code}) — {r.data_line}", "note")
        if r.draft:
            self.string(sheet, 2, 0, f"{DRAFT} — bản dự thảo, chưa phải báo cáo chính thức", "draft")
        self.string(sheet, 3, 0, heading, "heading")
        return 5

    def table(self, sheet: Any, row: int, table: Table, widths: dict[int, float]) -> int:
        self.string(sheet, row, 0, table.title, "table_title")
        row += 1
        for c, column in enumerate(table.columns):
            self.string(sheet, row, c, column.label, "head")
            widths[c] = max(widths.get(c, 0), WIDTHS[column.kind] * (1.25 if column.width >= 3 else 1))
        row += 1
        for index, values in enumerate(table.rows):
            bold = table.bold_last_row and index == len(table.rows) - 1
            for c, column in enumerate(table.columns):
                self.cell(sheet, row, c, column, values.get(column.key), bold)
            row += 1
        if not table.rows:
            self.string(sheet, row, 0, "Không có.", "note")
            row += 1
        if table.note:
            self.string(sheet, row, 0, table.note, "note")
            row += 1
        return row + 1

    def section_sheet(self, section: Section) -> None:
        sheet = self.book.add_worksheet(section.sheet)
        wide = any(len(t.columns) > 6 for t in section.tables)
        self.page_setup(sheet, landscape=wide)
        heading = f"{section.heading}. {section.annex_title}" if section.annex_title else section.heading
        row = self.banner(sheet, heading)
        widths: dict[int, float] = {}
        for paragraph in section.paragraphs:
            self.string(sheet, row, 0, paragraph, "plain")
            row += 1
        if section.paragraphs:
            row += 1
        for table in section.tables:
            row = self.table(sheet, row, table, widths)
        for c, width in widths.items():
            sheet.set_column(c, c, width)
        sheet.freeze_panes(5, 0)

    def cover(self) -> None:
        r = self.report
        sheet = self.book.add_worksheet("BaoCao")
        self.page_setup(sheet)
        sheet.set_column(0, 0, 48)
        sheet.set_column(1, 1, 4)
        sheet.set_column(2, 2, 60)
        self.string(sheet, 0, 0, r.governing_body, "centre")
        self.string(sheet, 1, 0, r.issuing_body, "centre_bold")
        self.string(sheet, 2, 0, r.number_line, "centre")
        self.string(sheet, 0, 2, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "centre_bold")
        self.string(sheet, 1, 2, "Độc lập - Tự do - Hạnh phúc", "centre_bold")
        self.string(sheet, 2, 2, r.place_date, "centre_italic")
        row = 4
        if r.draft:
            self.string(sheet, row, 0, f"{DRAFT} — bản dự thảo, chưa phải báo cáo chính thức", "draft")
            row += 1
        self.string(sheet, row, 0, "BÁO CÁO", "title")
        self.string(sheet, row + 1, 0, r.title, "title")
        row += 3
        for paragraph in r.intro:
            self.string(sheet, row, 0, paragraph, "plain")
            row += 1
        row += 1
        self.string(sheet, row, 0, "Nguồn số liệu", "heading")
        row += 1
        for label, value in r.provenance:
            self.string(sheet, row, 0, label, "plain")
            self.string(sheet, row, 2, value, "plain")
            row += 1
        row += 1
        self.string(sheet, row, 0, "Các trang tính", "heading")
        row += 1
        for section in r.sections:
            self.string(sheet, row, 0, section.sheet, "plain")
            heading = f"{section.heading}. {section.annex_title}" if section.annex_title else section.heading
            self.string(sheet, row, 2, heading, "plain")
            row += 1
        self.string(sheet, row, 0, "BieuDo", "plain")
        self.string(sheet, row, 2, "Biểu đồ", "plain")

    def charts(self) -> None:
        sheet = self.book.add_worksheet("BieuDo")
        self.page_setup(sheet)
        row = self.banner(sheet, "Biểu đồ")
        scale = 0.62
        for chart in self.report.charts.values():
            self.string(sheet, row, 0, chart.title, "table_title")
            row += 1
            sheet.insert_image(
                row,
                0,
                f"{chart.key}.png",
                {"image_data": io.BytesIO(chart.png), "x_scale": scale, "y_scale": scale, "object_position": 1,
                 "description": chart.title},
            )  # fmt: skip
            height_px = chart.height_mm / 25.4 * 150 * scale
            row += int(height_px / 20) + 3

    def close(self) -> None:
        r = self.report
        created = r.dated.astimezone(UTC).replace(tzinfo=None)
        self.book.set_properties(
            {
                "title": r.title,
                "subject": f"{r.unit_name} ({r.unit_code})",
                "author": r.issuing_body,
                "company": r.issuing_body,
                "keywords": f"04/CTr-LĐLĐ, {r.year}, {r.unit_code}" + (f", {DRAFT}" if r.draft else ""),
                "comments": r.footer,
                "created": created,
            }
        )
        self.book.close()


def render_workbook(report: Report) -> bytes:
    """The report's workbook as .xlsx bytes."""
    buffer = io.BytesIO()
    writer = _Writer(report, buffer)
    writer.cover()
    for section in report.sections:
        if section.tables or section.paragraphs:
            writer.section_sheet(section)
    writer.charts()
    writer.close()
    return buffer.getvalue()
