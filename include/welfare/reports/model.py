"""What a report says, independent of its format: sections of paragraphs, tables and charts.

The PDF and the workbook render the same `Report`, so their figures cannot disagree.
Column kinds decide how a value is shown: `text`, `code`, `int`, `money` (đồng), `pct` (a
fraction shown as 85,3%), `pp` (percentage points), `date`, `datetime`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Kind = Literal["text", "code", "int", "money", "pct", "pp", "date", "datetime"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = "text"
    width: float = 1.0  # relative width in the PDF
    in_pdf: bool = True  # False: the workbook only (e.g. full SHA-256 hashes)


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""
    bold_last_row: bool = False  # a total row
    in_pdf: bool = True


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    png: bytes
    width_mm: float
    height_mm: float


@dataclass
class Section:
    sheet: str  # workbook sheet name (≤ 31 characters)
    heading: str  # e.g. "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU"
    level: int = 1  # 1: a part (I, II…), 2: an item (1., 2.…), 0: an annex (new page)
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # keys of Report.charts
    annex_title: str = ""  # for annexes: the line under "PHỤ LỤC n"


@dataclass
class Report:
    year: int
    unit_code: str
    unit_name: str
    level: Literal["province", "upper"]
    draft: bool
    title: str  # "Báo cáo kết quả thực hiện Chương trình hành động 04/CTr-LĐLĐ năm 2025"
    governing_body: str  # upper line of the left header
    issuing_body: str  # lower line of the left header (bold)
    number_line: str  # "Số:      /BC-LĐLĐ"
    place_date: str  # "Hà Tĩnh, ngày 20 tháng 11 năm 2025"
    dated: datetime  # creation time written into the files (the snapshot's)
    intro: list[str]
    sections: list[Section]
    recipients: list[str]
    signature: list[str]
    provenance: list[tuple[str, str]]  # label, value — printed on the cover and in the footer
    footer: str
    data_line: str  # "số liệu s0003, SHA-256 …" — which data the report shows
    charts: dict[str, Chart] = field(default_factory=dict)
    extract_rows: list[dict[str, Any]] = field(default_factory=list)
    font_name: str = ""
