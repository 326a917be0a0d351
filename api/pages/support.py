"""What the web pages show, in Vietnamese — hiển thị: amounts, dates, labels, refusals and the timeline.

Amounts are written ``1.234.567 đ``, dates ``dd/mm/yyyy``, months ``mm/yyyy``, moments in Vietnam's
time (UTC+7). A refusal of the ledger is shown beside its field in Vietnamese where the message is a
common one (:func:`vietnamese`), else in the ledger's own English words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from domain.values import format_number, format_percent, format_vnd

VIETNAM = timezone(timedelta(hours=7), "ICT")

KIND_LABELS = {
    "meritorious": "Người có công",
    "social_assistance": "Bảo trợ xã hội",
    "poor_household": "Hộ nghèo, cận nghèo",
    "any": "Chung",
}
STATUS_LABELS = {
    "active": "Đang hưởng",
    "suspended": "Tạm dừng",
    "terminated": "Thôi hưởng",
    "deceased": "Đã mất",
}
ROLE_LABELS = {"officer": "Cán bộ", "inspector": "Thanh tra", "admin": "Quản trị"}
CHANNEL_LABELS = {"cash": "Tiền mặt", "bank": "Chuyển khoản"}
SEX_LABELS = {"male": "Nam", "female": "Nữ"}
POVERTY_LABELS = {"poor": "Hộ nghèo", "near_poor": "Hộ cận nghèo"}
RECOVERY_LABELS = {"cash": "Nộp tiền mặt", "deduction": "Khấu trừ", "refund": "Hoàn trả"}
CARD_STATUS_LABELS = {"active": "Còn hiệu lực", "revoked": "Đã thu hồi"}
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
    "HealthInsuranceCardIssued": "Cấp thẻ BHYT",
    "HealthInsuranceCardRenewed": "Gia hạn thẻ BHYT",
    "HealthInsuranceCardRevoked": "Thu hồi thẻ BHYT",
}
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
}
FIELD_LABELS = {
    "full_name": "Họ tên",
    "citizen_id": "Số CCCD",
    "date_of_birth": "Ngày sinh",
    "sex": "Giới tính",
    "household_code": "Mã hộ",
    "poverty_status": "Hộ nghèo/cận nghèo",
    "members": "Thành viên hộ",
}

# ------------------------------------------------------------------------------------------- format


def vnd(amount: object) -> str:
    """``2789000`` → ``2.789.000 đ``."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        return "—" if amount is None else str(amount)
    return format_vnd(amount, unit=True)


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(VIETNAM).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return _as_date(datetime.fromisoformat(value)) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    return None


def ngay(value: object) -> str:
    """``2024-08-10`` → ``10/08/2024`` (``—`` when empty)."""
    day = _as_date(value)
    if day is None:
        return "—" if not value else str(value)
    return day.strftime("%d/%m/%Y")


def thoi_diem(value: object) -> str:
    """An ISO timestamp → ``10/08/2024 16:05`` in Vietnam's time."""
    if isinstance(value, str) and value:
        try:
            return thoi_diem(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, datetime):
        moment = value.astimezone(VIETNAM) if value.tzinfo else value.replace(tzinfo=UTC).astimezone(VIETNAM)
        return moment.strftime("%d/%m/%Y %H:%M")
    return "—"


def thang(value: object) -> str:
    """``2024-08`` → ``08/2024``; a one-off (``once``) → ``một lần``."""
    if value is None or value == "":
        return "—"
    text = str(value)
    if text == "once":
        return "một lần"
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    return f"{match.group(2)}/{match.group(1)}" if match else text


def phan_tram(share: object, digits: int = 1) -> str:
    """A share ``0.4567`` as ``45,7 %`` (decimal comma)."""
    if isinstance(share, bool) or not isinstance(share, int | float):
        return "—"
    return format_percent(share, digits)


def so(value: object) -> str:
    """A count ``1234`` as ``1.234`` (anything not a number as it is, ``—`` for nothing)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "—" if value is None else str(value)
    return format_number(value)


def parse_amount_text(text: str) -> int | str:
    """What an officer types as an amount (``2.789.000``, ``2 789 000``, ``2789000 đ``) as an integer;
    anything else is handed to the ledger as typed, which refuses it with the field's name."""
    cleaned = text.strip().lower().replace("\u00a0", " ")
    for suffix in ("đồng", "đ"):
        cleaned = cleaned.removesuffix(suffix).strip()
    if re.fullmatch(r"\d+", cleaned) or re.fullmatch(r"\d{1,3}([. ]\d{3})+", cleaned):
        return int(re.sub(r"[. ]", "", cleaned))
    return text.strip()


def parse_date_text(text: str) -> str:
    """A date as the browser sends it (``YYYY-MM-DD``) or as typed (``dd/mm/yyyy``), as ``YYYY-MM-DD``."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    if match:
        return f"{match.group(3)}-{int(match.group(2)):02d}-{int(match.group(1)):02d}"
    return text.strip()


def parse_month_text(text: str) -> str:
    """A month as the browser sends it (``YYYY-MM``) or as typed (``mm/yyyy``), as ``YYYY-MM``."""
    match = re.fullmatch(r"(\d{1,2})/(\d{4})", text.strip())
    if match:
        return f"{match.group(2)}-{int(match.group(1)):02d}"
    return text.strip()


# ------------------------------------------------------------------------------------------- refusals


def _money(text: str) -> str:
    return text.replace(",", ".")


CARD_NUMBER_HELP = (
    "Số thẻ BHYT gồm 15 ký tự: mã nhóm 2 chữ cái, mức hưởng 1–5, mã tỉnh 2 số, 10 số BHXH"
    " (ví dụ TS2751234567890)."
)

Translations = list[tuple[re.Pattern[str], str]]


def _translations(pairs: list[tuple[str, str]]) -> Translations:
    return [(re.compile(pattern), text) for pattern, text in pairs]


def _translate(table: Translations, english: str, group_text: Callable[[str], str]) -> str | None:
    """The Vietnamese text of the first pattern that matches ``english``, its ``{1}``… replaced by the
    groups matched (through ``group_text``); ``None`` when none matches."""
    for pattern, text in table:
        match = pattern.search(english)
        if match:
            out = text
            for n, group in enumerate(match.groups(), start=1):
                out = out.replace(f"{{{n}}}", group_text(group or ""))
            return out
    return None


# (pattern of the ledger's English message, Vietnamese text; ``{1}``… are the pattern's groups)
_MESSAGES = _translations([
    (r"^must be a month written YYYY-MM", "Tháng phải có dạng mm/yyyy (ví dụ 08/2024)."),
    (r"^month number must be 01–12", "Tháng phải từ 01 đến 12."),
    (r"^year must be between (\d+) and (\d+)", "Năm phải từ {1} đến {2}."),
    (r"^must be a whole number of đồng", "Số tiền phải là số nguyên, tính bằng đồng (ví dụ 2.789.000)."),
    (r"^must be greater than zero", "Số tiền phải lớn hơn 0."),
    (r"^must not be negative", "Không được là số âm."),
    (r"^is implausibly large", "Số tiền quá lớn, không hợp lý."),
    (r"^must be a date written YYYY-MM-DD", "Ngày phải có dạng dd/mm/yyyy."),
    (r"^must be an ISO 8601 timestamp or date", "Ngày phải có dạng dd/mm/yyyy."),
    (r"^must not be in the future", "Không được sau ngày hôm nay."),
    (r"^must be at most (\d+) characters", "Tối đa {1} ký tự."),
    (r"^must not contain control characters; (U\+[0-9A-F]+)", "Không được chứa ký tự điều khiển ({1})."),
    (r"^must be 'cash' or 'bank'", "Hình thức nhận phải là tiền mặt hoặc chuyển khoản."),
    (r"^is required for the monthly scheme", "Chế độ hằng tháng phải ghi kỳ chi trả."),
    (r"^is required as a whole number from (\d+) to (\d+)", "Bắt buộc nhập số nguyên từ {1} đến {2}."),
    (r"^must not be empty|^is required", "Bắt buộc nhập."),
    (r"^must be omitted for a one-off", "Khoản trợ cấp một lần không ghi kỳ."),
    (r"^nothing is due for \S+ in once", "Khoản trợ cấp một lần này không có gì phải chi."),
    (r"^nothing is due for \S+ in (\S+): the entitlement starts in (\S+)",
     "Kỳ {1} không có khoản phải chi: chế độ bắt đầu từ tháng {2}."),
    (r"^nothing is due for \S+ in (\S+): payment stopped from (\S+)",
     "Kỳ {1} không có khoản phải chi: đã dừng chi trả từ tháng {2}."),
    (r"^nothing is due for \S+ in (\S+): the entitlement is suspended",
     "Kỳ {1} không có khoản phải chi: chế độ đang tạm dừng."),
    (r"^nothing is due for \S+ in (\S+): another social-assistance group",
     "Kỳ {1} không có khoản phải chi: đối tượng đang hưởng mức của nhóm có hệ số cao hơn."),
    (r"^nothing is due for \S+ in (\S+)", "Kỳ {1} không có khoản phải chi."),
    (r"^\S+ for (\S+) is already paid", "Kỳ {1} đã được chi trả đủ."),
    (r"^\S+ for (\S+) was paid", "Kỳ {1} đã được chi trả, không thể ghi không nhận."),
    (r"^\S+ for (\S+) is already recorded as not collected", "Kỳ {1} đã được ghi là không nhận."),
    (r"^amount ([\d,]+) exceeds what is owed for (\S+) \(([\d,]+) đồng\)",
     "Số tiền {1} đ vượt quá số còn phải chi cho kỳ {2} ({3} đ)."),
    (r"^payment_id (\S+) was already used", "Mã chi trả {1} đã được dùng cho một khoản chi khác."),
    (r"^entitlement \S* ?not found", "Chọn một chế độ của đối tượng này."),
    (r"^must be a 5-digit commune code", "Mã xã/phường gồm 5 chữ số."),
    (r"^\d+ is not a commune code", "Không có xã/phường mang mã này."),
    (r"^commune \d+ \(.*\) is not in province", "Xã/phường này không thuộc tỉnh của hệ thống."),
    # decisions
    (r"^must be from (\d+) to (\d+)", "Phải từ {1} đến {2}."),
    (r"^applies only from an injury rate of 81%", "Chỉ áp dụng khi tỷ lệ tổn thương từ 81% trở lên."),
    (r"^is not a parameter of scheme (\S+)", "Chế độ {1} không có tham số này: để trống ô này."),
    (r"^must be a scheme code from the catalogue", "Chọn một chế độ trong danh mục."),
    (r"^unknown scheme code", "Chọn một chế độ trong danh mục."),
    (r"^scheme \S+ is not for a", "Chế độ này không áp dụng cho loại đối tượng này."),
    (r"^must not be before the start month (\S+)", "Không được trước tháng bắt đầu {1}."),
    (r"^a funeral allowance needs the death", "Trợ cấp mai táng chỉ ghi sau khi đã báo tử."),
    (r"^a one-off \S+ is already granted for (\S+)",
     "Khoản trợ cấp một lần này đã có quyết định cho tháng {1}."),
    (r"the beneficiary died on (\S+)", "Đối tượng đã mất ngày {1}: không ghi được nghiệp vụ này."),
    (r"^a one-off entitlement cannot be adjusted", "Khoản trợ cấp một lần không điều chỉnh được."),
    (r"^must not be before the entitlement's start (\S+)",
     "Không được trước tháng bắt đầu hưởng ({1})."),
    (r"^the entitlement stopped from (\S+)", "Chế độ đã dừng từ tháng {1}."),
    (r"^the entitlement was already terminated after (\S+)", "Chế độ đã thôi hưởng sau tháng {1}."),
    (r"^must not be before (\d{4}-\d{2}) \(the start is (\S+)\)",
     "Không được trước tháng {1} (chế độ bắt đầu từ tháng {2})."),
    (r"^must not be before the date of birth", "Không được trước ngày sinh."),
    (r"^must be one of ", "Chọn một giá trị trong danh sách."),
    # recoveries
    (r"^there is no overpayment outstanding", "Không có khoản chi thừa nào còn phải thu hồi."),
    (r"^amount ([\d,]+) exceeds the overpayment outstanding \(([\d,]+) đồng\)",
     "Số tiền {1} đ vượt quá số chi thừa còn phải thu hồi ({2} đ)."),
    (r"^amount ([\d,]+) exceeds the recovery credit to pay back \(([\d,]+) đồng\)",
     "Số tiền {1} đ vượt quá số đã thu thừa phải hoàn trả ({2} đ)."),
    # cards
    (r"^must be (a card number like|2-letter group code)", CARD_NUMBER_HELP),
    (r"^group code (\w+) is not one of", "Mã nhóm {1} không có trong danh mục nhóm đối tượng BHYT."),
    (r"^province code (\d+) is not a province code", "Mã tỉnh {1} trong số thẻ không đúng."),
    (r"^must not be before valid_from", "Không được trước ngày thẻ bắt đầu có giá trị."),
    (r"^must not be before the card's valid_from", "Không được trước ngày thẻ bắt đầu có giá trị."),
    (r"^card (\S+) is already in use by this beneficiary", "Thẻ {1} của đối tượng này đang còn giá trị."),
    (r"^card number (\S+) is in use by another beneficiary", "Thẻ {1} đã được cấp cho đối tượng khác."),
    (r"^card (\S+) not found", "Không có thẻ {1} của đối tượng này."),
    (r"^card (\S+) was revoked on (\S+)", "Thẻ {1} đã bị thu hồi từ ngày {2}."),
    # rosters, reports
    (r"^the roster for (\S+) \(.*\) was already issued",
     "Danh sách chi trả tháng {1} của phạm vi này đã được phát hành trước đó."),
    (r"^must not be before from", "Không được trước ngày bắt đầu."),
    (r"^a report covers at most (\d+) months", "Một báo cáo gồm tối đa {1} tháng."),
])  # fmt: skip

# The same refusal said more precisely for one field: ``{(field, pattern): text}``.
_FIELD_MESSAGES: dict[tuple[str, str], str] = {
    ("paid_on", r"^must not be in the future"): "Ngày chi không được sau ngày hôm nay.",
    ("date_of_death", r"^must not be in the future"): "Ngày mất không được sau ngày hôm nay.",
}


def vietnamese(message: str, field: str = "") -> str:
    """The ledger's refusal in Vietnamese when it is a common one, else as the ledger wrote it.

    ``field`` (the form's name for the field refused) picks a more precise text where there is one."""
    for (name, precise), text in _FIELD_MESSAGES.items():
        if name == field and re.search(precise, message):
            return text
    return _translate(_MESSAGES, message, _group_text) or message


def _group_text(group: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}", group):
        return thang(group)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", group):
        return ngay(group)
    return _money(group)


# ------------------------------------------------------------------------------------------- integrity

# (pattern of ``ledger.integrity``'s English problem, Vietnamese text; ``{1}``… are the pattern's groups)
_CHAIN_PROBLEMS = _translations([
    (r"^stored event cannot be decoded: (\w+)", "không đọc được sự kiện đã lưu ({1})"),
    (r"^not a ledger event \((\w+)\)", "không phải sự kiện của sổ ({1})"),
    (r"^version (\d+) where (\d+) was expected", "thiếu sự kiện #{2} (gặp #{1})"),
    (r"^prev_hash does not match", "không nối đúng với sự kiện trước (chuỗi bị viết lại)"),
    (r"^stored content does not match its recorded hash",
     "nội dung đã lưu không khớp mã băm đã ghi (dữ liệu bị sửa)"),
    (r"^the stream has no event at its version", "ảnh chụp trạng thái không có sự kiện tương ứng"),
    (r"^the snapshot disagrees with the replay",
     "ảnh chụp trạng thái khác với kết quả dựng lại từ các sự kiện (ảnh chụp bị sửa)"),
])  # fmt: skip


def chain_problem(version: int, event_type: str, problem: str) -> str:
    """A broken link of ``ledger.integrity`` (``BrokenLink``) in Vietnamese: which event, what is wrong.

    ``sự kiện #3 (Chi trả): nội dung đã lưu không khớp mã băm đã ghi (dữ liệu bị sửa)``; a problem
    the list does not know is shown in the ledger's words."""
    text = _translate(_CHAIN_PROBLEMS, problem, str) or problem
    label = EVENT_LABELS.get(event_type) or OTHER_RECORD_LABELS.get(event_type, event_type)
    return f"sự kiện #{version} ({label}): {text}"


# ------------------------------------------------------------------------------------------- timeline


def basis_text(basis: object) -> str:
    """``Quyết định số 12/QĐ-UBND ngày 03/07/2024 của UBND tỉnh Đồng Nai``."""
    if not isinstance(basis, dict) or not basis:
        return ""
    parts = []
    if basis.get("decision_no"):
        parts.append(f"Quyết định số {basis['decision_no']}")
    if basis.get("decision_date"):
        parts.append(f"ngày {ngay(basis['decision_date'])}")
    if basis.get("issuer"):
        parts.append(f"của {basis['issuer']}")
    return " ".join(parts)


def channel_text(channel: object) -> str:
    """Cash, or the bank and account."""
    if not isinstance(channel, dict):
        return CHANNEL_LABELS.get(str(channel), str(channel or "—"))
    label = CHANNEL_LABELS.get(str(channel.get("type")), str(channel.get("type")))
    details = " ".join(str(channel[k]) for k in ("bank_code", "account_number") if channel.get(k))
    return f"{label} ({details})" if details else label


def params_text(params: object) -> str:
    """An entitlement's parameters, ``martyrs = 1``."""
    if not isinstance(params, dict) or not params:
        return ""
    return ", ".join(f"{k} = {v}" for k, v in params.items())


def _registered(data: dict[str, Any], names: _Names) -> list[tuple[str, str]]:
    code = str(data.get("commune_code"))
    return [
        ("Họ tên", str(data.get("full_name", ""))),
        ("Loại đối tượng", KIND_LABELS.get(str(data.get("kind")), str(data.get("kind")))),
        ("Số CCCD", str(data.get("citizen_id") or "—")),
        ("Xã/phường", names.communes.get(code, code)),
        ("Hình thức nhận", channel_text(data.get("payment_channel"))),
    ]


def _granted(data: dict[str, Any], names: _Names) -> list[tuple[str, str]]:
    lines = [
        ("Chế độ", names.schemes.get(str(data.get("entitlement_id")), str(data.get("scheme")))),
        ("Từ tháng", thang(data.get("start_month"))),
    ]
    if data.get("end_month"):
        lines.append(("Đến tháng", thang(data.get("end_month"))))
    if data.get("params"):
        lines.append(("Tham số", params_text(data.get("params"))))
    return lines


def _paid(data: dict[str, Any], names: _Names) -> list[tuple[str, str]]:
    lines = [
        ("Mã chi trả", str(data.get("payment_id", ""))),
        ("Chế độ", names.scheme(data)),
        ("Kỳ", thang(data.get("period"))),
        ("Số tiền", vnd(data.get("amount"))),
        ("Ngày chi", ngay(data.get("paid_on"))),
        ("Hình thức", channel_text(data.get("channel"))),
    ]
    if data.get("reference"):
        lines.append(("Số biên lai", str(data["reference"])))
    return lines


def _recovered(data: dict[str, Any], names: _Names) -> list[tuple[str, str]]:
    del names
    lines = [
        ("Số tiền", vnd(data.get("amount"))),
        ("Hình thức", RECOVERY_LABELS.get(str(data.get("method")), str(data.get("method")))),
    ]
    if data.get("reference"):
        lines.append(("Chứng từ", str(data["reference"])))
    return lines


def _card(data: dict[str, Any], names: _Names) -> list[tuple[str, str]]:
    del names
    lines = [("Số thẻ", str(data.get("card_number", "")))]
    for key, label in (("valid_from", "Từ ngày"), ("valid_to", "Đến ngày"), ("effective_on", "Từ ngày")):
        if data.get(key):
            lines.append((label, ngay(data[key])))
    return lines


def _line(
    label: str, key: str, show: Callable[[Any], str]
) -> Callable[[dict[str, Any], _Names], tuple[str, str]]:
    return lambda data, _names: (label, show(data.get(key)))


def _scheme_line(data: dict[str, Any], names: _Names) -> tuple[str, str]:
    return ("Chế độ", names.scheme(data))


def _lines(*parts: Callable[[dict[str, Any], _Names], tuple[str, str]]) -> _Describer:
    return lambda data, names: [part(data, names) for part in parts]


@dataclass(frozen=True)
class _Names:
    schemes: dict[str, str]
    communes: dict[str, str]

    def scheme(self, data: dict[str, Any]) -> str:
        key = str(data.get("entitlement_id", ""))
        return self.schemes.get(key, key)


_Describer = Callable[[dict[str, Any], _Names], list[tuple[str, str]]]
_FROM = _line("Từ tháng", "effective_from", thang)
_DESCRIBERS: dict[str, _Describer] = {
    "BeneficiaryRegistered": _registered,
    "DetailsCorrected": lambda data, _names: [
        (FIELD_LABELS.get(k, k), _value_text(k, v)) for k, v in (data.get("changes") or {}).items()
    ],
    "Relocated": _lines(
        lambda data, names: ("Xã/phường mới", names.communes.get(str(data.get("commune_code")), "")), _FROM
    ),
    "PaymentChannelChanged": _lines(_line("Hình thức nhận", "payment_channel", channel_text), _FROM),
    "EntitlementGranted": _granted,
    "EntitlementAdjusted": _lines(_scheme_line, _FROM, _line("Tham số mới", "params", params_text)),
    "EntitlementSuspended": _lines(_scheme_line, _FROM),
    "EntitlementResumed": _lines(_scheme_line, _FROM),
    "EntitlementTerminated": _lines(_scheme_line, _line("Tháng hưởng cuối", "last_month", thang)),
    "DeathRecorded": _lines(_line("Ngày mất", "date_of_death", ngay)),
    "PaymentRecorded": _paid,
    "PaymentNotCollected": _lines(_scheme_line, _line("Kỳ", "period", thang)),
    "PaymentReversed": _lines(_line("Mã chi trả", "payment_id", str)),
    "OverpaymentRecovered": _recovered,
    "HealthInsuranceCardIssued": _card,
    "HealthInsuranceCardRenewed": _card,
    "HealthInsuranceCardRevoked": _card,
}


def describe(
    item: dict[str, Any], schemes: dict[str, str], communes: dict[str, str]
) -> list[tuple[str, str]]:
    """What one history item says, as ``(label, value)`` lines in Vietnamese.

    ``schemes`` names each entitlement id, ``communes`` each commune code (unnamed ones show as is).
    """
    data: dict[str, Any] = item.get("data") or {}
    describer = _DESCRIBERS.get(item["type"])
    if describer is None:
        return [(k, _value_text(k, v)) for k, v in data.items()]
    return describer(data, _Names(schemes, communes))


def _value_text(key: str, value: object) -> str:
    if key == "date_of_birth":
        return ngay(value)
    if key == "sex":
        return SEX_LABELS.get(str(value), str(value))
    if key == "poverty_status":
        return POVERTY_LABELS.get(str(value), str(value))
    if isinstance(value, list):
        return "; ".join(str(v.get("full_name", v)) if isinstance(v, dict) else str(v) for v in value)
    return "—" if value is None else str(value)
