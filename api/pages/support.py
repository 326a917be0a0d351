"""What the web pages show, in Vietnamese — hiển thị: amounts, dates, labels, refusals and the timeline.

Amounts are written ``1.234.567 đ``, dates ``dd/mm/yyyy``, months ``mm/yyyy``, moments in Vietnam's
time (Asia/Ho_Chi_Minh, UTC+7). A date typed in a form is read by one function, :func:`read_date`
(``dd/mm/yyyy``, or ISO ``yyyy-mm-dd``), and a day searched for is a day of Vietnam's calendar
(:func:`vietnam_day_bounds`). A refusal of the ledger is shown beside its field in Vietnamese where the
message is a common one (:func:`vietnamese`), else in the ledger's own English words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain import labels, messages, values
from domain.params import param_lines
from domain.values import VIETNAM_TIME, format_number, format_percent, format_vnd

VIETNAM = VIETNAM_TIME  # Asia/Ho_Chi_Minh: UTC+7, no daylight saving since 1975

# the domain's names (domain/labels.py, shared with the command line), read by the pages as vi.EVENT_LABELS
KIND_LABELS = labels.KIND_LABELS
STATUS_LABELS = labels.STATUS_LABELS
ROLE_LABELS = labels.ROLE_LABELS
CHANNEL_LABELS = labels.CHANNEL_LABELS
EVENT_LABELS = labels.EVENT_LABELS
OTHER_RECORD_LABELS = labels.OTHER_RECORD_LABELS

SEX_LABELS = labels.SEX_LABELS
POVERTY_LABELS = labels.POVERTY_LABELS
RECOVERY_LABELS = labels.RECOVERY_LABELS
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
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


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


def _typed_as_iso(text: str, typed: str, order: tuple[int, ...]) -> str:
    """``text`` as ``typed`` (a pattern whose groups are the day, month, year as typed) rewritten as ISO:
    its groups in ``order``, year first, the others to two digits; anything else stripped, as typed."""
    match = re.fullmatch(typed, text.strip())
    if not match:
        return text.strip()
    year, *rest = (match.group(n) for n in order)
    return "-".join([year, *(f"{int(part):02d}" for part in rest)])


def parse_date_text(text: str) -> str:
    """A date as the browser sends it (``YYYY-MM-DD``) or as typed (``dd/mm/yyyy``), as ``YYYY-MM-DD``."""
    return _typed_as_iso(text, r"(\d{1,2})/(\d{1,2})/(\d{4})", (3, 2, 1))


DATE_REFUSAL = messages.DATE_REFUSAL
# ASCII digits only: ``\\d`` would let other scripts' digits (Arabic-Indic, full-width…) through.
_DMY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def read_date(text: str) -> str:
    """A date typed in a form — ``dd/mm/yyyy`` (``d/m/yyyy`` too) or ISO ``yyyy-mm-dd`` — as ISO
    ``yyyy-mm-dd``; ``""`` when blank. Anything else (``31/02/2026``, ``2026/13/01``, letters, digits
    of another script) is a :class:`ValueError` whose message is :data:`DATE_REFUSAL`."""
    typed = text.strip()
    if not typed:
        return ""
    dmy, iso = _DMY.fullmatch(typed), _ISO_DATE.fullmatch(typed)
    if dmy:
        day, month, year = (int(g) for g in dmy.groups())
    elif iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        raise ValueError(DATE_REFUSAL)
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(DATE_REFUSAL) from None


def date_input(value: object) -> str:
    """What a date field shows: an ISO date (or a date) as ``dd/mm/yyyy``; anything else — a refused
    text typed by the officer — as it was typed."""
    if isinstance(value, date):
        return ngay(value)
    text = "" if value is None else str(value)
    return ngay(text) if _ISO_DATE.fullmatch(text.strip()) and _as_date(text.strip()) else text


def month_input(value: object) -> str:
    """What a month field shows: ISO ``yyyy-mm`` as ``mm/yyyy``; anything else as typed."""
    text = "" if value is None else str(value)
    return thang(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}", text) else text


def vietnam_day_bounds(day_from: str, day_to: str) -> tuple[str, str]:
    """The moments (ISO, UTC) that bound the days ``day_from`` to ``day_to`` (ISO dates, both included;
    either may be ``""``) of Vietnam's calendar: the first day's midnight in Vietnam and the midnight
    after the last. A search by day on the pages means these days, whatever the browser's or the
    server's time zone."""

    def midnight(day: str, after: int = 0) -> str:
        first = datetime.combine(date.fromisoformat(day) + timedelta(days=after), time(), VIETNAM)
        return first.astimezone(UTC).isoformat()

    return (midnight(day_from) if day_from else "", midnight(day_to, 1) if day_to else "")


def end_of_vietnam_day(day: str) -> str:
    """The last moment of ``day`` (ISO date) in Vietnam's time, as an ISO timestamp with its offset
    (:func:`domain.values.end_of_vietnam_day`, the ledger's one end of a business day)."""
    return values.end_of_vietnam_day(date.fromisoformat(day)).isoformat()


def parse_month_text(text: str) -> str:
    """A month as the browser sends it (``YYYY-MM``) or as typed (``mm/yyyy``), as ``YYYY-MM``."""
    return _typed_as_iso(text, r"(\d{1,2})/(\d{4})", (2, 1))


# ------------------------------------------------------------------------------------------- refusals


# the refusals' Vietnamese text: one table for the pages and the command line (domain/messages.py)
CARD_NUMBER_HELP = messages.CARD_NUMBER_HELP
vietnamese = messages.vietnamese
_translations = messages.translations
_translate = messages.translate


# ------------------------------------------------------------------------------------------- access log

_SEARCH_FILTERS = {
    "citizen_id": "số CCCD",
    "name": "họ tên",
    "commune_code": "xã/phường",
    "status": "tình trạng",
    "scheme": "chế độ",
    "kind": "loại đối tượng",
}
_FILE_FORMATS = {"csv": "tệp CSV", "xlsx": "tệp Excel", "pdf": "tệp PDF", "print": "bản in"}


def _search_text(filters: str) -> str:
    parts = []
    for part in filters.split():
        name, _, value = part.partition("=")
        label = _SEARCH_FILTERS.get(name, name)
        if name == "status":
            value = STATUS_LABELS.get(value, value).lower()
        elif name == "kind":
            value = KIND_LABELS.get(value, value).lower()
        parts.append(f"{label} {value}".strip())
    return "Tìm đối tượng" + (f" theo {', '.join(parts)}" if parts else "")


def _roster_text(words: list[str]) -> str:
    parts = [f"Danh sách chi trả tháng {thang(words[0])}" if words else "Danh sách chi trả"]
    rest = iter(words[1:])
    for word in rest:
        if word == "commune":
            parts.append(f"xã/phường {next(rest, '')}")
        elif word == "channel":
            channel = next(rest, "")
            parts.append(CHANNEL_LABELS.get(channel, channel).lower())
        else:
            parts.append(_FILE_FORMATS.get(word, word))
    return ", ".join(parts)


_READS = {
    "profile": "Hồ sơ đối tượng",
    "beneficiary": "Thông tin đối tượng",
    "audit": "Nhật ký",
    "lookup": "Tra cứu theo số CCCD",
    "history": "Lịch sử hồ sơ",
}


def read_text(what: str, exception_labels: dict[str, str] | None = None) -> str:
    """What a read of the access log names (``profile as of 2024-09-25``, ``roster 2024-09 commune
    26041 csv``, ``search commune_code=26041 citizen_id``…) in Vietnamese; what it does not know is
    shown as recorded."""
    head, _, tail = what.partition(" ")
    if head in _READS and (not tail or tail.startswith("as of ")):
        return _READS[head] + (f" tính đến {ngay(tail.removeprefix('as of '))}" if tail else "")
    texts: dict[str, Callable[[str], str]] = {
        "search": _search_text,
        "roster": lambda rest: _roster_text(rest.split()),
        "exceptions": lambda rest: f"Ngoại lệ: {(exception_labels or {}).get(rest, rest)}",
        "payment": lambda rest: f"Chứng từ chi trả {rest.removeprefix('proof ')}",
    }
    return texts[head](tail) if head in texts else what


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
    """An entitlement's parameters in Vietnamese (the domain's names, :func:`domain.params.param_lines`):
    ``Số tiền: 156.000 đ; Nguồn kinh phí: ngân sách tỉnh``."""
    if not isinstance(params, dict) or not params:
        return ""
    return "; ".join(f"{name}: {value}" for name, value in param_lines(params))


def amount_text(entitlement: dict[str, Any]) -> tuple[str, str]:
    """What an entitlement pays, as ``(amount, when)``: a monthly one this month's amount; a quarterly
    one what it pays each quarter and the month of its next payment (never this month's ``0 đ``); a
    one-off its amount, once."""
    if entitlement.get("frequency") == "quarterly":
        if entitlement.get("payment_amount"):
            return (f"{vnd(entitlement['payment_amount'])} mỗi quý",
                    f"kỳ chi tới: tháng {thang(entitlement.get('next_payment_month'))}")  # fmt: skip
        return ("—", "không còn kỳ chi nào")
    if "monthly_amount" in entitlement:
        return (vnd(entitlement["monthly_amount"]), f"tháng {thang(entitlement.get('month'))}")
    return (vnd(entitlement.get("amount")), "trợ cấp một lần")


def _one_off_status(entitlement: dict[str, Any]) -> tuple[str, str]:
    due, paid = entitlement.get("amount"), entitlement.get("paid_amount") or 0
    if entitlement.get("last_month") and not paid:
        return ("terminated", "Trợ cấp một lần — đã hủy")
    if isinstance(due, int) and paid >= due > 0:
        return ("terminated", f"Trợ cấp một lần — đã chi ngày {ngay(entitlement.get('paid_on'))}")
    if paid:
        return ("suspended", f"Trợ cấp một lần — đã chi {vnd(paid)}, còn {vnd(max((due or 0) - paid, 0))}")
    return ("suspended", "Trợ cấp một lần — chưa chi")


def entitlement_status(entitlement: dict[str, Any]) -> tuple[str, str]:
    """An entitlement's state, as ``(css class, Vietnamese label)``: running, suspended or stopped; a
    one-off is never "running": it was paid (on what day) or not yet."""
    if entitlement.get("frequency") == "one_off":
        return _one_off_status(entitlement)
    if entitlement.get("suspended"):
        return ("suspended", "Tạm dừng")
    if entitlement.get("last_month"):
        return ("terminated", "Đã thôi")
    return ("active", "Đang hưởng")


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
