"""A corpus of malformed and malicious submissions, made on the spot, with the outcome each must get.

`build_corpus(folder)` writes every file and returns what intake must decide for it. Four groups:

* `rule`: a report breaking one FORMS.md rule (every case of the generator's catalogue, plus
  each `HoTro` row rule broken in more than 5% of the rows), as a real workbook;
* `file`: every accepted type empty, truncated, corrupted or pure garbage; wrong types;
* `bomb`: zip bombs (ratio, entry count, lying sizes, renamed .xls), entity bombs (billion
  laughs, external entities, a DOCTYPE hidden behind 64 KB of comment), 2000 sheets;
* `text`: wrong encodings (cp1258, latin-1, UTF-32 with and without BOM, TCVN3 bytes),
  formula text where numbers belong, absurd sizes (25 MB, 10,000 columns, a 1,000,000-character
  cell), hostile file names;

plus `good` files (every format, bulk CSV with support rows, a formula-looking text that must
be kept as text, files whose extension lies about a valid format) that must load as usual.

The file names carry no authority for intake; they only tell the test which entry is which.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from welfare.config import REFERENCE_DIR, TIMEZONE
from welfare.forms import FORM_VERSIONS, Form, ReportContent
from welfare.generator import values
from welfare.generator.cases import CASES
from welfare.registry import Registry, UnitInterval, read_registry

YEAR = 2025
SEED = 41
REGISTRY = REFERENCE_DIR / "registry_ha_tinh.csv"
# Every file is received at this moment: before the grassroots deadline, after every ngay_lap.
RECEIVED_AT = datetime(2025, 11, 3, 9, 30, tzinfo=TIMEZONE)
PREPARED = date(2025, 11, 1)

ACCEPTED = ("accepted", "accepted_with_warnings")


@dataclass
class Hostile:
    """One file of the corpus and what intake must decide for it."""

    name: str
    group: str  # rule | file | bomb | text | good
    description: str
    states: tuple[str, ...]  # acceptable end states of the file
    rules: frozenset[str] = frozenset()  # rule ids that must be among its reasons
    loads: bool = False  # whether rows of it may reach raw.*
    path: Path | None = None
    units: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return self.states == ("rejected",)


def _reject(name: str, group: str, description: str, *rules: str) -> Hostile:
    return Hostile(name, group, description, ("rejected",), frozenset(rules))


# --- well-behaved content ----------------------------------------------------------------------


class _Units:
    """Hands out distinct units of the shipped registry, active at the end of the period."""

    def __init__(self, registry: Registry) -> None:
        end = date(YEAR, 10, 31)
        self.registry = registry
        self._cdcs = iter(registry.active(end, "CDCS"))
        self._upper = iter(registry.active(end, "CAP_TREN"))

    def cdcs(self) -> UnitInterval:
        return next(self._cdcs)

    def upper(self) -> UnitInterval:
        return next(self._upper)

    def inactive(self) -> UnitInterval:
        start, end = date(YEAR - 1, 11, 1), date(YEAR, 10, 31)
        for code in self.registry.codes():
            history = self.registry.history(code)
            if history[0].cap == "CDCS" and not any(i.overlaps(start, end) for i in history):
                return history[-1]
        raise LookupError("the registry has no grassroots unit closed before the period")


def _info(unit: UnitInterval, form: Form) -> dict[str, object]:
    return {
        "ma_don_vi": unit.ma_don_vi,
        "ten_don_vi": unit.ten_don_vi,
        "ma_cap_tren": unit.ma_cap_tren if form == Form.CDCS else None,
        "nam_bao_cao": YEAR,
        "ngay_lap": PREPARED,
        "nguoi_lap": "Nguyễn Thị Lập Biểu",
        "dien_thoai": "0912345678",
        "email": unit.email,
        "chu_tich": "Trần Văn Chủ Tịch",
        "phien_ban_bieu_mau": FORM_VERSIONS[form][0],
    }


def good_cdcs(unit: UnitInterval, *, min_support: int = 0) -> ReportContent:
    """A grassroots report breaking no rule, with at least `min_support` HoTro rows."""
    figures = values.cdcs_figures(SEED, unit.ma_don_vi, unit.loai_hinh or "", YEAR)
    people = int(str(figures["dv_kho_khan_duoc_ho_tro"]))
    if people < min_support:
        total = int(str(figures["tong_doan_vien"]))
        wanted = min_support + 2
        figures.update(
            tong_doan_vien=max(total, wanted * 3),
            tong_lao_dong=max(int(str(figures["tong_lao_dong"])), wanted * 3),
            dv_kho_khan=max(int(str(figures["dv_kho_khan"])), wanted),
            dv_kho_khan_duoc_ho_tro=wanted,
        )
        people = wanted
    support = values.support_rows(SEED, unit.ma_don_vi, YEAR, min(people, 60))
    return ReportContent(Form.CDCS, _info(unit, Form.CDCS), figures, support)


def good_captren(unit: UnitInterval) -> ReportContent:
    figures = values.captren_figures(SEED, unit.ma_don_vi, YEAR, 0)
    figures["tong_doan_vien_khoi_co_so"] = 0
    return ReportContent(Form.CAPTREN, _info(unit, Form.CAPTREN), figures, [])


# --- byte-level helpers ------------------------------------------------------------------------


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _zip_entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b"</Types>"
)


def _with_part(xlsx: bytes, name: str, edit: Callable[[bytes], bytes]) -> bytes:
    entries = _zip_entries(xlsx)
    entries[name] = edit(entries[name])
    return _zip(entries)


def _lying_sizes(data: bytes, declared: int) -> bytes:
    """Rewrite every size field of a zip (local headers and central directory) to `declared`."""
    out = bytearray(data)
    position = 0
    while (position := out.find(b"PK\x03\x04", position)) != -1:
        struct.pack_into("<I", out, position + 22, declared)
        position += 4
    position = 0
    while (position := out.find(b"PK\x01\x02", position)) != -1:
        struct.pack_into("<I", out, position + 24, declared)
        position += 4
    return bytes(out)


def _flip_in_middle(data: bytes, rng: random.Random, count: int = 64) -> bytes:
    out = bytearray(data)
    lo, hi = len(out) // 4, 3 * len(out) // 4
    for _ in range(count):
        out[rng.randrange(lo, hi)] ^= 0xFF
    return bytes(out)


def _two_thousand_sheets() -> bytes:
    sheets = 2000
    workbook = (
        b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        + b"".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>'.encode() for i in range(1, sheets + 1))
        + b"</sheets></workbook>"
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships '
        b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + b"".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'worksheet" Target="worksheets/sheet{i}.xml"/>'.encode()
            for i in range(1, sheets + 1)
        )
        + b"</Relationships>"
    )
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>'
    )
    entries = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": rels,
    }
    entries |= {f"xl/worksheets/sheet{i}.xml": sheet for i in range(1, sheets + 1)}
    return _zip(entries)


def _far_cell_xls() -> bytes:
    import xlwt

    book = xlwt.Workbook()
    for name in ("ThongTin", "ChiTieu", "HoTro"):
        sheet = book.add_sheet(name)
        sheet.write(0, 0, "ma_don_vi")
        sheet.write(65535, 255, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _dense_sheet(_xml: bytes) -> bytes:
    columns = [chr(65 + c) for c in range(20)]
    rows = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{(r + i) % 7}</v></c>' for i, c in enumerate(columns)) + "</row>"
        for r in range(1, 125_001)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + rows
        + "</sheetData></worksheet>"
    ).encode()


_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'.encode() for i in range(2, 10)).replace(
        b"&lol1;", b"&lol;"
    )
    + b"]>"
)


def _entity_bomb(xml: bytes) -> bytes:
    """`xml` with a billion-laughs DTD in front of its root element."""
    head, _, rest = xml.partition(b"?>")
    body = rest if head.startswith(b"<?xml") else xml
    return _LAUGHS + body.replace(b"</t>", b"&lol9;</t>", 1)


def _external_entity(xml: bytes) -> bytes:
    head, _, rest = xml.partition(b"?>")
    body = rest if head.startswith(b"<?xml") else xml
    return b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + body


def _doctype_after_padding(xml: bytes) -> bytes:
    """A DOCTYPE placed after 70 KB of comment: beyond a scan of the first 64 KB."""
    head, _, rest = xml.partition(b"?>")
    body = rest if head.startswith(b"<?xml") else xml
    padding = b"<!--" + b"padding " * 9000 + b"-->"
    return b'<?xml version="1.0"?>' + padding + _LAUGHS[len(b'<?xml version="1.0"?>') :] + body


# TCVN3 (ABC) puts Vietnamese letters on single bytes above 0x7F, e.g. "Tæng sè ®oµn viªn".
_TCVN3_TEXT = b"ma_don_vi,nam_bao_cao,ten_don_vi,tong_doan_vien\r\nCS00001,2025,C\xabng \xae\xb8an C\xb5ng ty,12\r\n"


# --- the corpus --------------------------------------------------------------------------------


def build_corpus(folder: Path, registry_path: Path = REGISTRY) -> list[Hostile]:
    """Write the corpus into `folder` (created) and return each file's expected outcome."""
    from welfare.workbooks import Quirks, write_bulk_csv, write_report

    folder.mkdir(parents=True, exist_ok=True)
    registry = read_registry(registry_path)
    units = _Units(registry)
    rng = random.Random(f"hostile:{SEED}")
    corpus: list[Hostile] = []

    def workbook(entry: Hostile, content: ReportContent, quirks: Quirks | None = None) -> None:
        entry.path = folder / entry.name
        write_report(entry.path, content, quirks)
        entry.units = [str(content.info["ma_don_vi"])]
        corpus.append(entry)

    def raw(entry: Hostile, data: bytes) -> None:
        entry.path = folder / entry.name
        entry.path.write_bytes(data)
        corpus.append(entry)

    # A clean workbook of each format, to corrupt and to mix in.
    template_cdcs = good_cdcs(units.cdcs(), min_support=6)
    samples: dict[str, bytes] = {}
    for suffix in (".xlsx", ".xls", ".ods"):
        sample = folder.parent / f"_sample{suffix}"
        write_report(sample, template_cdcs)
        samples[suffix] = sample.read_bytes()
        sample.unlink()

    # 1. Every rule of the generator's catalogue, one unit each.
    for number, case in enumerate(CASES, start=1):
        if case.needs_previous_year:
            continue  # needs the unit's previous year in the warehouse: covered by test_intake
        if case.form == Form.CDCS:
            unit = units.inactive() if case.rule == "ma_don_vi.active" else units.cdcs()
            content = good_cdcs(unit, min_support=case.needs_support_rows)
        else:
            unit = units.upper()
            content = good_captren(unit)
        if case.rule != "ma_don_vi.active":
            case.apply(content, YEAR)
        if case.rule == "ngay_lap.not_after_received":
            content.info["ngay_lap"] = (RECEIVED_AT + timedelta(days=20)).date()
        states = ("rejected",) if case.rejects else ("accepted_with_warnings",)
        suffix = (".xlsx", ".xls", ".ods")[number % 3] if case.form == Form.CDCS else ".xlsx"
        entry = Hostile(
            f"rule-{number:02d}-{case.form.value}-{case.rule}{suffix}",
            "rule",
            case.description,
            states,
            frozenset({case.rule}),
            loads=not case.rejects,
        )
        workbook(entry, content)

    # 2. Each HoTro row rule broken in 30% of the rows: the file is rejected, naming the rule.
    row_rules: dict[str, tuple[str, object]] = {
        "ho_ten.required": ("ho_ten", None),
        "nam_sinh.birth_year": ("nam_sinh", 1890),
        "gioi_tinh.code": ("gioi_tinh", "Không rõ"),
        "nhom_hoan_canh.code": ("nhom_hoan_canh", "NGHEO_DOI"),
        "chuong_trinh.code": ("chuong_trinh", "QUA_TRUNG_THU"),
        "nguon_kinh_phi.code": ("nguon_kinh_phi", "NGAN_SACH"),
        "doi_tuong_yeu_the.code": ("doi_tuong_yeu_the", "DTTS;NGUOI_NGOAI_HANH_TINH"),
        "so_tien.positive": ("so_tien", 0),
        "ngay_ho_tro.date": ("ngay_ho_tro", "31/02/2025"),
    }
    for rule, (code, bad) in row_rules.items():
        content = good_cdcs(units.cdcs(), min_support=10)
        for row in content.support[: max(1, int(len(content.support) * 0.3))]:
            row[code] = bad
        entry = _reject(
            f"hotro-{rule}.xlsx", "rule", f"{code} = {bad!r} in 30% of the HoTro rows", "hotro.bad_row_share"
        )
        entry.rules = frozenset({"hotro.bad_row_share", rule})
        workbook(entry, content)

    # 3. Every accepted type: empty, truncated, corrupted, garbage; and types that are not accepted.
    for number, suffix in enumerate((".csv", ".xlsx", ".xls", ".ods")):
        # The same (empty) bytes again are a duplicate of the first: identity is the bytes.
        empty = _reject(f"empty{suffix}", "file", "0 bytes", "file.empty")
        if number:
            empty.states, empty.rules = ("duplicate",), frozenset({"file.duplicate"})
        raw(empty, b"")
        raw(
            _reject(
                f"garbage{suffix}",
                "file",
                "random bytes",
                "file.unreadable" if suffix != ".csv" else "file.bad_encoding",
            ),
            rng.randbytes(40_000),
        )
    for suffix, data in samples.items():
        raw(_reject(f"truncated{suffix}", "file", "cut at half its length", "file.unreadable"), data[: len(data) // 2])
    raw(
        _reject("corrupted.xlsx", "file", "64 bytes flipped inside the compressed sheets", "file.unreadable"),
        _flip_in_middle(samples[".xlsx"], rng),
    )
    raw(
        _reject("corrupted.ods", "file", "64 bytes flipped inside the compressed content", "file.unreadable"),
        _flip_in_middle(samples[".ods"], rng),
    )
    broken_ole = bytearray(samples[".xls"])
    broken_ole[0x30:0x50] = b"\xff" * 32  # the OLE header's directory and FAT pointers
    raw(_reject("corrupted.xls", "file", "OLE2 header pointers overwritten", "file.unreadable"), bytes(broken_ole))
    raw(
        _reject("html-saved-as.xls", "file", "a web page saved as .xls", "file.unreadable"),
        b"<html><body><table><tr><td>ma_don_vi</td><td>CS00001</td></tr></table></body></html>",
    )
    raw(_reject("report.pdf", "file", "a PDF", "file.type"), b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF")
    raw(_reject("report.docx", "file", "a Word file", "file.type"), _zip({"word/document.xml": b"<w:document/>"}))
    raw(_reject("report", "file", "no extension", "file.type"), samples[".xlsx"])
    raw(_reject("report.xlsx.exe", "file", "an executable pretending", "file.type"), b"MZ\x90\x00" + b"\x00" * 500)

    # 4. Bombs.
    big_zero = b"<x>" + b"0" * 60_000_000 + b"</x>"
    raw(
        _reject("bomb-ratio.xlsx", "bomb", "60 MB of zeros in a few KB", "file.zip_bomb"),
        _zip({"[Content_Types].xml": _CONTENT_TYPES, "xl/worksheets/sheet1.xml": big_zero}),
    )
    raw(
        _reject("bomb-ratio.ods", "bomb", "60 MB of zeros in a few KB", "file.zip_bomb"),
        _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": big_zero}),
    )
    raw(
        _reject(
            "bomb-renamed.xls",
            "bomb",
            "a workbook with 60 MB of padding, named .xls (read by content)",
            "file.zip_bomb",
        ),
        _with_part(samples[".xlsx"], "xl/worksheets/sheet3.xml", lambda xml: xml + b" " * 60_000_000),
    )
    raw(
        _reject("bomb-entries.xlsx", "bomb", "5,000 empty parts", "file.zip_bomb"),
        _zip({f"xl/media/{i}.xml": b"" for i in range(5000)}, zipfile.ZIP_STORED),
    )
    lying = _with_part(samples[".xlsx"], "xl/worksheets/sheet2.xml", lambda xml: xml + b" " * 30_000_000)
    raw(
        Hostile(
            "bomb-lying-sizes.xlsx",
            "bomb",
            "a sheet inflating to 30 MB while the zip directory says 1 KB",
            ("rejected",),
            frozenset(),
        ),
        _lying_sizes(lying, 1024),
    )
    raw(_reject("sheets-2000.xlsx", "bomb", "an xlsx with 2000 sheets", "file.zip_bomb"), _two_thousand_sheets())
    # A sheet is held as a dense rectangle from its first to its last cell: one far cell is a bomb.
    far_cell = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    raw(
        _reject("far-cell.xlsx", "bomb", "one cell at XFD1048576 (17 billion cells)", "file.sheet_too_large"),
        _with_part(samples[".xlsx"], "xl/worksheets/sheet3.xml", lambda xml: xml.replace(b"</sheetData>", far_cell)),
    )
    raw(
        _reject("far-cell.xls", "bomb", "one cell at IV65536 in each sheet of a 6 KB .xls", "file.sheet_too_large"),
        _far_cell_xls(),
    )
    repeated = (
        b'<table:table-row table:number-rows-repeated="1048576"><table:table-cell '
        b'table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row>'
        b"</table:table>"
    )
    raw(
        _reject("repeated-cells.ods", "bomb", "a value repeated over 1,048,576 × 16,384 cells", "file.sheet_too_large"),
        _with_part(samples[".ods"], "content.xml", lambda xml: xml.replace(b"</table:table>", repeated, 1)),
    )
    raw(
        _reject(
            "dense-2.5m-cells.xlsx",
            "bomb",
            "2.5 million real cells within the size and ratio limits",
            "file.sheet_too_large",
        ),
        _with_part(samples[".xlsx"], "xl/worksheets/sheet3.xml", _dense_sheet),
    )
    shared = "xl/sharedStrings.xml"
    raw(
        _reject("laughs.xlsx", "bomb", "billion laughs in sharedStrings.xml", "file.xml_entities"),
        _with_part(samples[".xlsx"], shared, _entity_bomb),
    )
    raw(
        _reject("xxe.xlsx", "bomb", "an external entity reading /etc/passwd", "file.xml_entities"),
        _with_part(samples[".xlsx"], "xl/worksheets/sheet1.xml", _external_entity),
    )
    raw(
        _reject("laughs.ods", "bomb", "billion laughs in content.xml", "file.xml_entities"),
        _with_part(samples[".ods"], "content.xml", _entity_bomb),
    )
    raw(
        _reject("laughs-after-64k.xlsx", "bomb", "a DOCTYPE behind 70 KB of comment", "file.xml_entities"),
        _with_part(samples[".xlsx"], shared, _doctype_after_padding),
    )

    # 5. Text: encodings, formulas, sizes, names.
    header = "ma_don_vi,nam_bao_cao,ten_don_vi,tong_doan_vien,doan_vien_nu\r\n"
    unit = units.cdcs()
    line = f"{unit.ma_don_vi},{YEAR},Công đoàn Đông Tâm,12,5\r\n"  # every letter exists in cp1258
    raw(_reject("cp1258.csv", "text", "Windows-1258", "file.bad_encoding"), (header + line).encode("cp1258"))
    raw(
        _reject("latin1.csv", "text", "latin-1", "file.bad_encoding"),
        (header + f"{unit.ma_don_vi},{YEAR},Société Générale Ñ,12,5\r\n").encode("latin-1"),
    )
    raw(_reject("utf32-bom.csv", "text", "UTF-32 with BOM", "file.bad_encoding"), (header + line).encode("utf-32"))
    raw(
        _reject("utf32-nobom.csv", "text", "UTF-32 LE without BOM", "file.bad_encoding"),
        (header + line).encode("utf-32-le"),
    )
    raw(_reject("tcvn3.csv", "text", "TCVN3 (ABC) bytes", "file.bad_encoding"), _TCVN3_TEXT)
    utf8 = (header + line).encode("utf-8")
    cut = utf8.index("Đông".encode()) + 1  # inside the two-byte "Đ"
    raw(_reject("truncated-in-character.csv", "text", "cut inside a UTF-8 character", "file.bad_encoding"), utf8[:cut])
    raw(
        _reject("invalid-bytes.csv", "text", "0xFF 0xFE inside an otherwise UTF-8 file", "file.bad_encoding"),
        utf8[:60] + b"\xff\xfe" + utf8[60:],
    )
    raw(
        _reject("nul-bytes.csv", "text", "NUL bytes in a UTF-8 file", "file.bad_encoding"),
        utf8.replace(b",12,", b",1\x002,"),
    )
    raw(_reject("header-only.csv", "text", "a header and no row", "file.no_report"), header.encode())
    raw(
        _reject("no-header.csv", "text", "no field code in the first line", "file.no_header"),
        b"cot1,cot2,cot3\r\n1,2,3\r\n",
    )
    raw(
        _reject("columns-10000.csv", "text", "10,000 unknown columns", "file.no_header"),
        (",".join(f"c{i}" for i in range(10_000)) + "\r\n" + ",".join("1" for _ in range(10_000)) + "\r\n").encode(),
    )
    raw(
        _reject("cell-1m.csv", "text", "a 1,000,000-character cell", "file.unreadable"),
        (header + f'{unit.ma_don_vi},{YEAR},"{"Đ" * 1_000_000}",12,5\r\n').encode(),
    )
    with (folder / "big-25mb.csv").open("wb") as handle:
        handle.write(header.encode() + f'{unit.ma_don_vi},{YEAR},"'.encode())
        chunk = ("Công đoàn " * 10_000).encode()
        while handle.tell() < 25 * 1024 * 1024:
            handle.write(chunk)
        handle.write(b'",12,5\r\n')
    corpus.append(
        Hostile(
            "big-25mb.csv",
            "text",
            "a 25 MB cell",
            ("rejected",),
            frozenset({"file.unreadable"}),
            path=folder / "big-25mb.csv",
        )
    )
    raw(
        _reject("big-25mb.xlsx", "text", "25 MB (limit 20 MB)", "file.too_large"),
        _zip(
            {"[Content_Types].xml": _CONTENT_TYPES, "xl/media/image1.bin": rng.randbytes(25 * 1024 * 1024)},
            zipfile.ZIP_STORED,
        ),
    )
    formula = good_cdcs(units.cdcs())
    formula.figures["tong_doan_vien"] = "=cmd|' /C calc'!A0"
    workbook(
        _reject("formula-in-number.xlsx", "text", "a DDE formula as text in a count", "tong_doan_vien.number"), formula
    )
    formula_csv_unit = units.cdcs()
    raw(
        _reject("formula-in-number.csv", "text", "=1+1 in a count", "tong_doan_vien.number"),
        (header + f"{formula_csv_unit.ma_don_vi},{YEAR},Công đoàn,=1+1,0\r\n").encode("utf-8-sig"),
    )
    million = good_cdcs(units.cdcs())
    million.figures["tong_doan_vien"] = "PLACEHOLDER_MILLION"
    entry = _reject("cell-1m.xlsx", "text", "a 1,000,000-character count cell", "tong_doan_vien.number")
    workbook(entry, million)
    letters = "".join(rng.choice("abcdefghiklmnopqrstuvxyàáạảãâầấậẩẫđêềếệểễôồốộổỗơờớợởỡ ") for _ in range(1_000_000))
    assert entry.path is not None
    entry.path.write_bytes(
        _with_part(
            entry.path.read_bytes(),
            shared,
            lambda xml: xml.replace(b"PLACEHOLDER_MILLION", letters.encode()),
        )
    )
    long_name = good_cdcs(units.cdcs())
    workbook(
        Hostile(
            "x" * 245 + ".xlsx",
            "text",
            "a 250-byte file name (the longest a file system allows, with room for nothing more)",
            ACCEPTED,
            loads=True,
        ),
        long_name,
    )
    odd_name = good_cdcs(units.cdcs())
    workbook(
        Hostile(
            "báo cáo\n=cmd|' calc'!A0 \u202egpj.xlsx",
            "text",
            "a newline, a formula and a right-to-left override in the file name",
            ACCEPTED,
            loads=True,
        ),
        odd_name,
    )

    # 6. Good files mixed in: each format, a bulk CSV with support rows, lying extensions, formula text.
    for suffix, quirks in ((".xlsx", Quirks.all_on()), (".xls", None), (".ods", Quirks.all_on())):
        workbook(
            Hostile(f"good{suffix}", "good", f"a clean {suffix}", ACCEPTED, loads=True), good_cdcs(units.cdcs()), quirks
        )
    captren = good_captren(units.upper())
    captren.figures["kien_nghi"] = '=HYPERLINK("http://evil.example","bấm vào đây")'
    workbook(
        Hostile("good-formula-text.xlsx", "good", "formula-looking text kept as text", ACCEPTED, loads=True), captren
    )
    really = folder.parent / "_really.xls"
    write_report(really, good_cdcs(units.cdcs()))
    entry = Hostile("really-xls.xlsx", "good", "a real .xls named .xlsx (read by content)", ACCEPTED, loads=True)
    raw(entry, really.read_bytes())
    really.unlink()
    really = folder.parent / "_really.xlsx"
    write_report(really, good_cdcs(units.cdcs()))
    raw(
        Hostile("really-xlsx.xls", "good", "a real .xlsx named .xls (read by content)", ACCEPTED, loads=True),
        really.read_bytes(),
    )
    really.unlink()
    bulk_dir = folder / "bulk"
    bulk_dir.mkdir()
    bulk_reports = [good_cdcs(units.cdcs(), min_support=3) for _ in range(3)]
    from welfare.forms import CDCS_FIGURES, INFO_FIELDS, SUPPORT_FIELDS

    report_columns = [f.code for f in INFO_FIELDS] + [f.code for f in CDCS_FIGURES]
    write_bulk_csv(
        bulk_dir / "cdcs_reports.csv", ({**c.info, **c.figures} for c in bulk_reports), report_columns, "utf-8-sig"
    )
    support_columns = ["ma_don_vi", "nam_bao_cao"] + [f.code for f in SUPPORT_FIELDS]
    write_bulk_csv(
        bulk_dir / "support_cases.csv",
        ({"ma_don_vi": c.info["ma_don_vi"], "nam_bao_cao": YEAR, **row} for c in bulk_reports for row in c.support),
        support_columns,
        "utf-16",
    )
    codes = [str(c.info["ma_don_vi"]) for c in bulk_reports]
    corpus.append(
        Hostile(
            "bulk/cdcs_reports.csv",
            "good",
            "bulk reports",
            ACCEPTED,
            loads=True,
            path=bulk_dir / "cdcs_reports.csv",
            units=codes,
        )
    )
    corpus.append(
        Hostile(
            "bulk/support_cases.csv",
            "good",
            "bulk support rows (UTF-16)",
            ACCEPTED,
            loads=True,
            path=bulk_dir / "support_cases.csv",
            units=codes,
        )
    )
    return corpus
