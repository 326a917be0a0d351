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

from domain import labels, messages
from domain.values import format_number, format_percent, format_vnd

VIETNAM = timezone(timedelta(hours=7), "ICT")

# the domain's names (domain/labels.py, shared with the command line), read by the pages as vi.EVENT_LABELS
KIND_LABELS = labels.KIND_LABELS
STATUS_LABELS = labels.STATUS_LABELS
ROLE_LABELS = labels.ROLE_LABELS
CHANNEL_LABELS = labels.CHANNEL_LABELS
EVENT_LABELS = labels.EVENT_LABELS
OTHER_RECORD_LABELS = labels.OTHER_RECORD_LABELS

SEX_LABELS = {"male": "Nam", "female": "Nữ"}
POVERTY_LABELS = {"poor": "Hộ nghèo", "near_poor": "Hộ cận nghèo"}
RECOVERY_LABELS = {"cash": "Nộp tiền mặt", "deduction": "Khấu trừ", "refund": "Hoàn trả"}
CARD_STATUS_LABELS = {"active": "Còn hiệu lực", "revoked": "Đã thu hồi"}
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


def province_title(name: str) -> str:
    """``Đồng Nai`` → ``Tỉnh Đồng Nai``; the five cities are named ``Thành phố …`` already."""
    return name if name.startswith(("Thành phố", "Tỉnh")) else f"Tỉnh {name}"


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


# the refusals' Vietnamese text: one table for the pages and the command line (domain/messages.py)
CARD_NUMBER_HELP = messages.CARD_NUMBER_HELP
vietnamese = messages.vietnamese
_translations = messages.translations
_translate = messages.translate


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
