"""What the audit trail says in Vietnamese — nhật ký bằng tiếng Việt: the reasons the system writes
itself, what a uniqueness claim holds and the fields of an event's data (the event
types' names are the domain's: :mod:`domain.labels`)."""

from __future__ import annotations

import re
from datetime import date

from domain.catalogue import scheme_catalogue
from domain.labels import (
    CHANNEL_LABELS,
    KIND_LABELS,
    POVERTY_LABELS,
    RECOVERY_LABELS,
    ROLE_LABELS,
    SEX_LABELS,
)
from domain.params import param_lines
from domain.values import format_day, format_month, format_vnd

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


_MONEY_FIELDS = frozenset({"amount", "monthly_amount", "overpayment", "deducted"})
_MONTH_FIELDS = frozenset({"period", "month", "start_month", "end_month", "last_month", "effective_from"})
_DAY_FIELDS = frozenset(
    {"paid_on", "date_of_birth", "date_of_death", "effective_on", "valid_from", "valid_to"}
)
_CHOICES = {
    "channel": CHANNEL_LABELS,
    "method": RECOVERY_LABELS,
    "kind": KIND_LABELS,
    "role": ROLE_LABELS,
    "sex": SEX_LABELS,
    "poverty_status": POVERTY_LABELS,
}


def value_text(key: str, value: object) -> str:  # noqa: PLR0911 - one return per kind of value
    """One field's value as a reader writes it: money ``500.000 đ``, months ``08/2024``, days
    ``12/08/2024``, a scheme by its Vietnamese name, a channel ``Tiền mặt``/``Chuyển khoản (VCB)``,
    parameters by their Vietnamese names; anything else as it is."""
    text = str(value)
    if key in _MONEY_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return format_vnd(value, unit=True)
    if key in _MONTH_FIELDS and re.fullmatch(r"\d{4}-\d{2}", text):
        return format_month(text)
    if key in _DAY_FIELDS and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return format_day(date.fromisoformat(text))
    if key == "scheme":
        scheme = scheme_catalogue().get(text)
        return scheme.name_vi if scheme else text
    if key in _CHOICES:
        return _CHOICES[key].get(text, text)
    if key == "payment_channel" and isinstance(value, dict):
        channel = CHANNEL_LABELS.get(str(value.get("type")), str(value.get("type")))
        return f"{channel} ({value['bank_code']})" if value.get("bank_code") else channel
    if key == "params" and isinstance(value, dict):
        return ", ".join(f"{name}: {shown}" for name, shown in param_lines(value))
    if isinstance(value, dict):
        return ", ".join(f"{FIELD_LABELS.get(str(k), k)}: {value_text(str(k), v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(value_text(key, v) for v in value)
    return text


def data_summary(data: dict[str, object]) -> str:
    """An event's data in one line: ``Mã chi trả: P-1; Kỳ: 08/2024; Số tiền: 500.000 đ`` (fields without a
    Vietnamese name, and long ones such as a table edition's rows, left out; values as :func:`value_text`
    writes them)."""
    parts = []
    for key, value in data.items():
        label = FIELD_LABELS.get(key)
        if label is None or value is None or value in ("", [], {}):
            continue
        parts.append(f"{label}: {value_text(key, value)}")
    return "; ".join(parts)
