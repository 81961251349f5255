"""Vietnamese labels for the code lists of DOMAIN.md and the marts' categories."""

from __future__ import annotations

SITUATIONS = {
    "THU_NHAP_THAP": "Thu nhập thấp",
    "OM_DAU_HIEM_NGHEO": "Ốm đau, bệnh hiểm nghèo",
    "TAI_NAN_LD": "Tai nạn lao động",
    "BENH_NGHE_NGHIEP": "Bệnh nghề nghiệp",
    "MAT_VIEC_GIAM_GIO": "Mất việc, giảm giờ làm, tạm hoãn hợp đồng",
    "THIEN_TAI": "Thiên tai",
    "KHO_KHAN_NHA_O": "Khó khăn về nhà ở",
    "KHAC": "Hoàn cảnh khác",
}

PROGRAMMES = {
    "TET_SUM_VAY": "Tết sum vầy",
    "THANG_CONG_NHAN": "Tháng Công nhân",
    "MAI_AM_XAY_MOI": "Mái ấm Công đoàn (xây mới)",
    "MAI_AM_SUA_CHUA": "Mái ấm Công đoàn (sửa chữa)",
    "THAM_HOI_OM_DAU": "Thăm hỏi ốm đau",
    "TRO_CAP_DOT_XUAT": "Trợ cấp khó khăn đột xuất",
    "HO_TRO_MAT_VIEC": "Hỗ trợ mất việc, giảm giờ làm",
    "CHO_TET": "Chợ Tết Công đoàn",
    "CHUYEN_XE_CONG_DOAN": "Chuyến xe Công đoàn",
    "TAM_VE_NGHIA_TINH": "Tấm vé nghĩa tình",
    "BUA_COM_CONG_DOAN": "Bữa cơm Công đoàn",
    "HOC_BONG": "Học bổng cho con đoàn viên",
    "THE_BHYT_THAN_NHAN": "Thẻ BHYT cho thân nhân đoàn viên",
    "VAY_VON_VIEC_LAM": "Vay vốn Quỹ quốc gia về việc làm",
    "KHAC": "Hình thức khác",
}

FUNDING = {
    "CDCS": "Công đoàn cơ sở",
    "CAP_TREN": "Công đoàn cấp trên",
    "QUY_XA_HOI": "Quỹ Xã hội Công đoàn",
    "TLD": "Tổng Liên đoàn",
    "XA_HOI_HOA": "Xã hội hóa",
    "CHINH_QUYEN": "Chính quyền",
    "DOANH_NGHIEP": "Doanh nghiệp",
}

VULNERABLE = {
    "DTTS": "Người dân tộc thiểu số",
    "NU_MANG_THAI": "Lao động nữ mang thai",
    "CON_DUOI_6": "Có con dưới 6 tuổi",
    "KHUYET_TAT": "Người khuyết tật",
    "CAO_TUOI": "Người cao tuổi",
}

GRADES = {"A": "Loại A", "B": "Loại B", "C": "Loại C", "D": "Loại D", "CXL": "Chưa xếp loại"}

FORMS = {"CDCS": "CĐCS", "CAPTREN": "CĐ cấp trên"}

MISSING_REASONS = {
    "not_received": "Chưa nộp báo cáo",
    "rejected_only": "Bị trả lại, chưa có bản hợp lệ",
    "after_lock_only": "Nộp sau khi khóa sổ",
}

FOLLOWUP_TYPES = {
    "validation_warning": "Cảnh báo kiểm tra số liệu",
    "upper_cross_check": "Đối chiếu đoàn viên cấp trên – cơ sở",
    "duplicate_support": "Nghi trùng đối tượng hỗ trợ",
}

FOLLOWUP_STATUS = {"open": "Chưa xử lý", "explained": "Đã giải trình", "corrected": "Đã điều chỉnh"}


def label(mapping: dict[str, str], code: str | None) -> str:
    """The label of a code, or the code itself when the list does not know it."""
    if code is None:
        return ""
    return mapping.get(code, code)
