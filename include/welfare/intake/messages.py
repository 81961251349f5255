"""Bilingual (Vietnamese first, English second) messages for every rule, saying what to do.

A rule id is `<field code>.<check>` (e.g. `dv_kho_khan_duoc_ho_tro.le_dv_kho_khan`) or
`file.<check>`; the message is built from the check and the fields' labels in forms.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from welfare.forms import CAPTREN_FIGURES, CDCS_FIGURES, INFO_FIELDS, SUPPORT_FIELDS, Field

# Grassroots labels win where both forms share a code (the upper-level form says "(cấp mình)").
_FIELDS: dict[str, Field] = {f.code: f for f in (*CAPTREN_FIGURES, *INFO_FIELDS, *CDCS_FIGURES, *SUPPORT_FIELDS)}


@dataclass(frozen=True)
class Message:
    vi: str
    en: str


def _vi(code: str) -> str:
    field = _FIELDS.get(code)
    return f"“{field.label}” ({code})" if field else code


def _en(code: str) -> str:
    field = _FIELDS.get(code)
    return f"“{field.label_en}” ({code})" if field else code


# check → (vi, en); {f} = the field, {g} = the other field, {v} = the value shown, {x} = extra detail.
_TEMPLATES: dict[str, tuple[str, str]] = {
    "required": ("Thiếu {f}: hãy điền giá trị.", "{f} is missing: fill it in."),
    "positive": ("{f} phải lớn hơn 0 (đang là {v}).", "{f} must be greater than 0 (found {v})."),
    "non_negative": ("{f} không được âm (đang là {v}).", "{f} must not be negative (found {v})."),
    "whole_number": (
        "{f} phải là số nguyên, không có phần thập phân (đang là {v}).",
        "{f} must be a whole number without decimals (found {v}).",
    ),
    "number": (
        "{f} phải là số (đang là “{v}”); chỉ ghi chữ số, ví dụ 1.234.567.",
        "{f} must be a number (found “{v}”); write digits only, e.g. 1.234.567.",
    ),
    "date": ("{f} phải là ngày dạng dd/mm/yyyy (đang là “{v}”).", "{f} must be a date dd/mm/yyyy (found “{v}”)."),
    "flag": ("{f} chỉ nhận 1 (có) hoặc 0 (không) (đang là {v}).", "{f} accepts only 1 (yes) or 0 (no) (found {v})."),
    "in_list": (
        "{f} có giá trị không hợp lệ “{v}”; chọn trong danh sách thả xuống ({x}).",
        "{f} has an invalid value “{v}”; pick one from the drop-down list ({x}).",
    ),
    "code": (
        "{f} có mã không hợp lệ “{v}”; chọn trong danh sách ({x}).",
        "{f} has an invalid code “{v}”; pick one from the list ({x}).",
    ),
    "le": (
        "{f} ({v}) không được lớn hơn {g} ({x}); hãy kiểm tra lại hai số liệu.",
        "{f} ({v}) must not exceed {g} ({x}); check both figures.",
    ),
    "ge": ("{f} ({v}) thấp hơn {g} ({x}); đề nghị kiểm tra lại.", "{f} ({v}) is lower than {g} ({x}); please check."),
    "empty_without_agreement": (
        "Có {f} (“{v}”) nhưng đơn vị khai không có thỏa ước; xóa xếp loại hoặc sửa “co_thoa_uoc”.",
        "{f} is given (“{v}”) but no collective agreement is declared; clear it or fix co_thoa_uoc.",
    ),
    "exists": (
        "Mã đơn vị “{v}” không có trong danh mục đơn vị; kiểm tra lại mã trên biểu mẫu được cấp.",
        "Unit code “{v}” is not in the registry; check the code printed on the template you were given.",
    ),
    "level": (
        "Mã “{v}” không phải đơn vị cấp {x}; dùng đúng biểu mẫu của cấp mình.",
        "Code “{v}” is not a {x} unit; use the form of your own level.",
    ),
    "active": (
        "Đơn vị “{v}” không hoạt động trong kỳ báo cáo {x}; liên hệ LĐLĐ tỉnh nếu danh mục chưa đúng.",
        "Unit “{v}” is not active in the {x} reporting period; contact the provincial federation if the registry is wrong.",
    ),
    "defined": (
        "Năm báo cáo {v} không thuộc kỳ của Chương trình ({x}).",
        "Reporting year {v} is outside the programme ({x}).",
    ),
    "not_future": (
        "Năm báo cáo {v} chưa đến; kiểm tra lại năm.",
        "Reporting year {v} is in the future; check the year.",
    ),
    "not_after_received": (
        "Ngày lập {v} sau ngày nhận báo cáo ({x}); sửa ngày lập.",
        "Date prepared {v} is after the day the report was received ({x}); correct it.",
    ),
    "matches_registry": (
        "{f} “{v}” khác danh mục (“{x}”); danh mục được dùng, đề nghị cập nhật biểu mẫu.",
        "{f} “{v}” differs from the registry (“{x}”); the registry is used, please update your form.",
    ),
    "known": (
        "Phiên bản biểu mẫu “{v}” không xác định; hãy dùng biểu mẫu mới nhất ({x}).",
        "Form version “{v}” is unknown; please use the latest template ({x}).",
    ),
    "well_formed": (
        "Email “{v}” không hợp lệ; phản hồi sẽ không gửi được.",
        "E-mail “{v}” is malformed; feedback cannot be sent.",
    ),
    "flag_zero": (
        "Có {f} ({v}) nhưng không tổ chức “Tết sum vầy”; kiểm tra lại.",
        "{f} is {v} but “Tết sum vầy” was not held; please check.",
    ),
    "average_range": (
        "Giá trị bình quân một suất quà Tết ({v} đ) ngoài khoảng 100.000–5.000.000 đ; kiểm tra số suất và giá trị.",
        "The average Tết gift ({v} đ) is outside 100,000–5,000,000 đ; check the count and the value.",
    ),
    "in_period": (
        "{f} ({v}) nằm ngoài kỳ báo cáo ({x}); kiểm tra lại ngày.",
        "{f} ({v}) is outside the reporting period ({x}); check the date.",
    ),
    "year_over_year": (
        "{f} thay đổi hơn 3 lần so với năm trước ({x} → {v}); đề nghị giải trình hoặc sửa.",
        "{f} changed more than threefold against last year ({x} → {v}); explain or correct it.",
    ),
    "outlier": (
        "{f} ({v}) khác thường so với các đơn vị cùng loại, cùng cấp trên ({x}); đề nghị kiểm tra.",
        "{f} ({v}) is unusual among similar units under the same upper level ({x}); please check.",
    ),
    "twelve_digits": (
        "Số định danh cá nhân phải có đúng 12 chữ số (đang là {v}); dòng này không được tính.",
        "The citizen ID must have exactly 12 digits (found {v}); this row is not counted.",
    ),
    "programme_cap": (
        "Số tiền {v} đ vượt mức tối đa của chương trình ({x} đ); kiểm tra lại.",
        "The amount {v} đ exceeds the programme's cap ({x} đ); please check.",
    ),
    "bad_row_share": (
        "{v} dòng trong danh sách hỗ trợ có lỗi (quá 5%); sửa các dòng được liệt kê và gửi lại.",
        "{v} support rows have errors (more than 5%); fix the rows listed and resend.",
    ),
    "ge_support_people": (
        "Danh sách hỗ trợ có {v} người khó khăn, nhiều hơn {g} ({x}); kiểm tra lại.",
        "The support list names {v} people in hardship, more than {g} ({x}); please check.",
    ),
    "matches_grassroots": (
        "{f} ({v}) lệch hơn 2% so với tổng đoàn viên của các CĐCS đã nộp ({x}); đề nghị đối chiếu.",
        "{f} ({v}) differs by more than 2% from the members of the accepted grassroots reports ({x}); please reconcile.",
    ),
    "duplicate_person": (
        "Cùng một người (mã ẩn danh) được nhiều CĐCS hỗ trợ cùng hoàn cảnh trong năm ({x}); đề nghị kiểm tra.",
        "The same person (pseudonymised) was supported by several grassroots unions for the same situation this year ({x}); please check.",
    ),
    "gender": ("{f} chỉ nhận “Nam” hoặc “Nữ” (đang là “{v}”).", "{f} accepts only “Nam” or “Nữ” (found “{v}”)."),
    "birth_year": ("{f} ({v}) phải từ 1940 đến {x}.", "{f} ({v}) must be between 1940 and {x}."),
}

_FILE: dict[str, tuple[str, str]] = {
    "duplicate": (
        "Tệp này trùng từng byte với tệp đã nhận ({x}); không nạp lại.",
        "This file is byte-for-byte identical to one already received ({x}); it is not loaded again.",
    ),
    "missing_sheet": (
        "Thiếu trang tính {x}; hãy dùng biểu mẫu chính thức.",
        "Sheet {x} is missing; please use the official template.",
    ),
    "no_identification": (
        "Không tìm thấy phần thông tin đơn vị (trang ThongTin); hãy dùng biểu mẫu chính thức.",
        "The identification (sheet ThongTin) was not found; please use the official template.",
    ),
}


def message(rule: str, value: object = "", other: str = "", extra: object = "") -> Message:
    """The message for `rule` with the value found, the other field's code and extra detail."""
    field, _, check = rule.partition(".")
    if field == "file":
        if check in _FILE:
            vi, en = _FILE[check]
            return Message(vi.format(x=extra, v=value), en.format(x=extra, v=value))
        return Message(str(extra or value), str(extra or value))
    key = check
    if check.startswith("le_"):
        key, other = "le", other or check[3:]
    elif check.startswith("ge_") and check != "ge_support_people":
        key, other = "ge", other or check[3:]
    elif check == "ge_support_people":
        other = other or "dv_kho_khan_duoc_ho_tro"
    vi, en = _TEMPLATES.get(key, ("{f}: giá trị “{v}” không hợp lệ ({x}).", "{f}: value “{v}” is not valid ({x})."))
    text_vi = vi.format(f=_vi(field), g=_vi(other), v=value, x=extra)
    text_en = en.format(f=_en(field), g=_en(other), v=value, x=extra)
    if field != "hotro" and field not in text_en:  # every reason names its field code
        text_vi, text_en = f"{_vi(field)}: {text_vi}", f"{_en(field)}: {text_en}"
    return Message(text_vi, text_en)
