"""The Vietnamese names of what the ledger records — tên sự kiện: event types, the reasons the system
writes itself, and the fields of an event's data, shared by the pages, the API's audit trail and its
files (``api.pages.support`` re-exports the labels)."""

from __future__ import annotations

import re

EVENT_LABELS = {
    "BeneficiaryRegistered": "Đăng ký đối tượng",
    "DetailsCorrected": "Đính chính thông tin",
    "Relocated": "Chuyển xã/phường",
    "PaymentChannelChanged": "Đổi hình thức nhận",
    "EntitlementGranted": "Quyết định hưởng",
    "EntitlementAdjusted": "Điều chỉnh mức hưởng",
    "EntitlementSuspended": "Tạm dừng hưởng",
    "EntitlementResumed": "Tiếp tục hưởng",
    "EntitlementTerminated": "Thôi hưởng",
    "DeathRecorded": "Báo tử",
    "PaymentRecorded": "Chi trả",
    "PaymentNotCollected": "Không nhận",
    "PaymentReversed": "Hủy chi trả",
    "OverpaymentRecovered": "Thu hồi chi thừa",
    "OverpaymentDeducted": "Khấu trừ thu hồi chi thừa",
    "HealthInsuranceCardIssued": "Cấp thẻ BHYT",
    "HealthInsuranceCardRenewed": "Gia hạn thẻ BHYT",
    "HealthInsuranceCardRevoked": "Thu hồi thẻ BHYT",
}
"""The events of a beneficiary's stream."""
OTHER_RECORD_LABELS = {
    "BeneficiarySnapshot": "Ảnh chụp trạng thái",
    "RosterIssued": "Phát hành danh sách chi trả",
    "UserRegistered": "Tạo người dùng",
    "UserDisabled": "Khóa người dùng",
    "TokenIssued": "Cấp mã truy cập",
    "ValueClaimed": "Giữ mã duy nhất",
    "RateScheduleOpened": "Mở biểu mức",
    "RateAmended": "Sửa đổi mức chuẩn",
    "RateAmendmentProposed": "Đề xuất sửa đổi mức chuẩn (chờ duyệt)",
    "RateAmendmentApproved": "Duyệt sửa đổi mức chuẩn",
    "NccTablesOpened": "Mở bảng mức trợ cấp NCC",
    "EditionRecorded": "Ghi bảng mức trợ cấp NCC",
    "CampaignStarted": "Bắt đầu đợt chi",
    "CampaignCompleted": "Hoàn thành đợt chi",
}
"""The records of the other streams (rosters, users, rates, campaigns, uniqueness claims)."""


def type_label(event_type: str) -> str:
    """The Vietnamese name of an event type (the class name when it has none yet)."""
    return EVENT_LABELS.get(event_type) or OTHER_RECORD_LABELS.get(event_type, event_type)


CLAIM_KINDS = {
    "citizen_id": "Số CCCD",
    "payment_id": "Mã chi trả",
    "card_number": "Số thẻ BHYT",
    "household_code": "Mã hộ",
    "token": "Mã truy cập (băm)",
}
"""What a uniqueness claim holds, by kind."""

# (pattern of a reason the system writes in English, its Vietnamese text; ``{1}`` is the group)
_SYSTEM_REASONS = [
    (re.compile(r"^packaged reference data \(domain/reference\)$"),
     "Dữ liệu tham chiếu kèm theo phần mềm (domain/reference)"),
    (re.compile(r"^death$"), "Đối tượng đã mất"),
    (re.compile(r"^campaign (\S+)$"), "Đợt chi {1}"),
    (re.compile(r"^import (.+)$"), "Nhập tệp {1}"),
    (re.compile(r"^import$"), "Nhập tệp"),
]  # fmt: skip


def reason_text(reason: str | None) -> str:
    """A record's reason for a reader: the ones the system writes (reference data, a death, a campaign,
    an import) in Vietnamese; what a person typed as typed."""
    text = reason or ""
    for pattern, vietnamese in _SYSTEM_REASONS:
        match = pattern.match(text)
        if match:
            return vietnamese.replace("{1}", match.group(1)) if match.groups() else vietnamese
    return text


FIELD_LABELS = {
    "payment_id": "Mã chi trả",
    "entitlement_id": "Mã chế độ",
    "scheme": "Chế độ",
    "period": "Kỳ",
    "amount": "Số tiền",
    "paid_on": "Ngày chi",
    "channel": "Hình thức",
    "reference": "Chứng từ",
    "full_name": "Họ tên",
    "kind": "Loại",
    "citizen_id": "Số CCCD",
    "commune_code": "Xã/phường",
    "date_of_birth": "Ngày sinh",
    "date_of_death": "Ngày mất",
    "sex": "Giới tính",
    "household_code": "Mã hộ",
    "poverty_status": "Hộ nghèo/cận nghèo",
    "payment_channel": "Hình thức nhận",
    "start_month": "Từ tháng",
    "end_month": "Đến tháng",
    "last_month": "Tháng hưởng cuối",
    "effective_from": "Từ tháng",
    "effective_on": "Từ ngày",
    "params": "Tham số",
    "card_number": "Số thẻ",
    "valid_from": "Từ ngày",
    "valid_to": "Đến ngày",
    "method": "Hình thức",
    "recovery_id": "Mã thu hồi",
    "changes": "Thay đổi",
    "name": "Tên",
    "role": "Vai trò",
    "scope": "Phạm vi",
    "month": "Tháng",
    "campaign_id": "Mã đợt chi",
    "legal_basis": "Căn cứ",
    "content_hash": "Mã băm nội dung",
}
"""The Vietnamese names of the fields of an event's data (its summary in the audit files)."""


def data_summary(data: dict[str, object]) -> str:
    """An event's data in one line: ``Mã chi trả: P-1; Kỳ: 2024-08; Số tiền: 500000`` (fields without a
    Vietnamese name, and long ones such as a table edition's rows, left out)."""
    parts = []
    for key, value in data.items():
        label = FIELD_LABELS.get(key)
        if label is None or value is None or value in ("", [], {}):
            continue
        if isinstance(value, dict):
            text = ", ".join(f"{FIELD_LABELS.get(str(k), k)} = {v}" for k, v in value.items())
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = str(value)
        parts.append(f"{label}: {text}")
    return "; ".join(parts)


FUNDING_SOURCE_LABELS = {
    "central": "Ngân sách trung ương",
    "province": "Ngân sách tỉnh",
    "district": "Ngân sách huyện",
    "commune": "Ngân sách xã",
    "donation": "Nguồn vận động, tài trợ",
}
"""The funding sources of gifts and supports (the scheme parameter ``funding_source``)."""
