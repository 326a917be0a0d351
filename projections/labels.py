"""What the audit trail says in Vietnamese — nhật ký bằng tiếng Việt: the reasons the system writes
itself, what a uniqueness claim holds and the fields of an event's data (the event
types' names are the domain's: :mod:`domain.labels`)."""

from __future__ import annotations

import re

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
