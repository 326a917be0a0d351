"""Value objects — giá trị nghiệp vụ: month, money, citizen ID, commune, card number, bank account.

Each ``parse_*`` function takes raw input and the name of the field it came from, and returns the
normalised value or raises :class:`~domain.errors.InvalidInput` naming the field and the reason.
Events store the normalised primitives (strings, ints, dicts) so that they serialise plainly.

The ledger's business day (ngày nghiệp vụ) is Vietnam's: a moment — an event's timestamp, the ledger's
clock — is stored in UTC (ISO 8601 with its offset), but the day and the month it stands for are those
of the calendar in Asia/Ho_Chi_Minh (UTC+7, no daylight saving since 1975). :func:`vietnam_today` is the
one definition: a command's day (:attr:`~domain.events.RecordContext.today`, the day "not after today"
and "not more than a year ahead" are checked against, and the default ``occurred_on`` of a new event),
the ledger's current month (``Month.of(today)``), a report's last complete month
(:func:`last_complete_month`) and the end of a day read "as of" (:func:`end_of_vietnam_day`). At
01:30 on 1 December in Vietnam (18:30 UTC on 30 November) a payment made that day is not in the future,
December is the current month and November the last complete one. Events already stored keep the
``occurred_on`` they were recorded with.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.errors import InvalidInput

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
FIRST_YEAR, LAST_YEAR = 1945, 2200
"""The years a month given to the ledger may fall in (a month outside is refused, naming its field)."""
_PARSED: dict[str, Month] = {}  # the months already read: a province's events name the same few


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month ``YYYY-MM`` (tháng), the unit of monthly entitlements."""

    year: int
    month: int

    @classmethod
    def parse(cls, value: object, field: str = "month") -> Month:
        """Parse ``"YYYY-MM"`` (or a :class:`Month`)."""
        if isinstance(value, Month):
            return value
        known = _PARSED.get(value) if type(value) is str else None
        if known is not None:
            return known
        if not isinstance(value, str):
            raise InvalidInput(field, f"must be a month written YYYY-MM, got {value!r}")
        m = _MONTH_RE.match(value.strip())
        if not m:
            raise InvalidInput(field, f"must be a month written YYYY-MM, got {value!r}")
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise InvalidInput(field, f"month number must be 01–12, got {value!r}")
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidInput(field, f"year must be between {FIRST_YEAR} and {LAST_YEAR}, got {value!r}")
        parsed = cls(year, month)
        if len(_PARSED) < 10_000 and type(value) is str:
            _PARSED[value] = parsed
        return parsed

    @classmethod
    def of(cls, day: date) -> Month:
        """The month a date falls in."""
        return cls(day.year, day.month)

    @property
    def ordinal(self) -> int:
        """Months since year 0, for arithmetic."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_ordinal(cls, n: int) -> Month:
        """Inverse of :attr:`ordinal` (one object per month: a value, so shared)."""
        known = _BY_ORDINAL.get(n)
        if known is None:
            known = cls(n // 12, n % 12 + 1)
            if len(_BY_ORDINAL) < 10_000:
                _BY_ORDINAL[n] = known
        return known

    def plus(self, months: int) -> Month:
        """This month moved by ``months`` (negative goes back)."""
        return Month.from_ordinal(self.ordinal + months)

    def next(self) -> Month:
        """The following month."""
        return self.plus(1)

    def previous(self) -> Month:
        """The month before."""
        return self.plus(-1)

    def first_day(self) -> date:
        """The first day of the month."""
        return date(self.year, self.month, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


_BY_ORDINAL: dict[int, Month] = {}
LAST_MONTH = Month(LAST_YEAR, 12)
"""The last month the ledger admits: nothing can be recorded for, nor asked of, a later one."""
_TEXT: dict[int, str] = {}


def month_text(ordinal: int) -> str:
    """``str(Month.from_ordinal(ordinal))``, ``YYYY-MM``, without making the month (a dues walk writes
    the same few hundred months for every person)."""
    text = _TEXT.get(ordinal)
    if text is None:
        text = str(Month.from_ordinal(ordinal))
        if len(_TEXT) < 10_000:
            _TEXT[ordinal] = text
    return text


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last`` inclusive (empty if ``last < first``)."""
    return [Month.from_ordinal(n) for n in range(first.ordinal, last.ordinal + 1)]


MAX_AMOUNT = 10_000_000_000
"""More đồng than any one payment, rate or recovery can be (an implausible amount is refused)."""


def parse_amount(value: object, field: str = "amount", *, positive: bool = False) -> int:
    """Money: an integer number of đồng (VND has no minor unit), ≥ 0 (or > 0)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, f"must be a whole number of đồng (integer), got {value!r}")
    if value < 0:
        raise InvalidInput(field, f"must not be negative, got {value}")
    if positive and value == 0:
        raise InvalidInput(field, "must be greater than zero")
    if value > MAX_AMOUNT:
        raise InvalidInput(field, f"is implausibly large ({value} đồng)")
    return value


def format_number(value: int) -> str:
    """A count or an amount the Vietnamese way: ``1.234.567``, a minus in front when negative — the one
    number style of the pages, files and command line (:func:`format_vnd`, :func:`format_percent`)."""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(value):,}".replace(",", ".")


def format_vnd(amount: int, *, unit: bool = False) -> str:
    """Money the Vietnamese way: ``1.234.567`` (``unit``: ``1.234.567 đ``), a minus in front when negative."""
    text = format_number(amount)
    return f"{text} đ" if unit else text


def format_percent(share: float, digits: int = 1) -> str:
    """A share ``0.4567`` as ``45,7 %`` (decimal comma, a space before the sign)."""
    return f"{share * 100:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".") + " %"


VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
"""Vietnam's time (Asia/Ho_Chi_Minh: UTC+7, no daylight saving since 1975): the day a Vietnamese office
is in."""


def vietnam_today(moment: datetime) -> date:
    """The business day of ``moment``: the day it falls on in Vietnam (a moment without an offset is
    taken as UTC) — the one definition of the ledger's "today" (see the module's docstring)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(VIETNAM_TIME).date()


def end_of_vietnam_day(day: date) -> datetime:
    """The last moment of ``day`` in Vietnam's time (23:59:59.999999+07:00): a day read "as of"."""
    return datetime.combine(day, time.max, VIETNAM_TIME)


def last_complete_month(moment: datetime) -> Month:
    """The last month that has ended by ``moment`` in Vietnam's time (on 1 December: November)."""
    return Month.of(vietnam_today(moment)).previous()


def format_decimal(number: float, digits: int = 1) -> str:
    """A measure the Vietnamese way: ``3,2`` (a decimal comma)."""
    return f"{number:.{digits}f}".replace(".", ",")


def format_day(day: date) -> str:
    """A date the Vietnamese way: ``10/08/2024``."""
    return day.strftime("%d/%m/%Y")


def format_month(month: Month | str) -> str:
    """A month the Vietnamese way: ``08/2024`` (``once``, a one-off's period, as ``một lần``)."""
    if str(month) == "once":
        return "một lần"
    parsed = Month.parse(month)
    return f"{parsed.month:02d}/{parsed.year}"


def round_to_thousand(amount: Decimal) -> int:
    """Round to the nearest 1,000 đồng, halves up (làm tròn đến nghìn đồng)."""
    return int((amount / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 1000)


EARLIEST_DATE = date(1900, 1, 1)
"""No business date (a payment, a birth, a decision) lies before it."""


def parse_date(
    value: object, field: str, *, today: date | None = None, not_after_today: bool = False
) -> date:
    """A calendar date ``YYYY-MM-DD`` in the ledger's range (:func:`check_date`)."""
    if isinstance(value, date):
        return check_date(value, field, today, not_after_today=not_after_today)
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return check_date(day, field, today, not_after_today=not_after_today)
    raise InvalidInput(field, f"must be a date written YYYY-MM-DD, got {value!r}")


_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS_RE = re.compile("[\t\n\r]")
MAX_NAME_LENGTH = 200
MAX_REASON_LENGTH = 2000


def control_character_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why ``text`` cannot be recorded, or ``None``: it holds a control character (C0, DEL, C1 — the
    NUL that PostgreSQL's text cannot hold among them) or half of a surrogate pair. Tab and line breaks
    are allowed only in text of several lines (``multiline``: reasons)."""
    found = _CONTROL_RE.search(text) or (None if multiline else _LINE_BREAKS_RE.search(text))
    if found is None:
        return None
    char = found.group()
    name = unicodedata.name(char, "a control character" if ord(char) < 0xD800 else "a lone surrogate")
    allowed = "" if multiline else " (this text is one line: no tab or line break)"
    return f"must not contain control characters; U+{ord(char):04X} ({name}) is one{allowed}"


def refuse_control_characters(text: str, field: str, *, multiline: bool = False) -> str:
    """``text`` unchanged, or :class:`InvalidInput` naming ``field`` if it holds a control character."""
    problem = control_character_problem(text, multiline=multiline)
    if problem is not None:
        raise InvalidInput(field, problem)
    return text


def parse_reason(value: object, field: str = "reason") -> str:
    """The free-text reason of a write (lý do): several lines allowed, kept as one, at most 2,000
    characters, no control characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be text, got {value!r}")
    text = " ".join(refuse_control_characters(value, field, multiline=True).split())
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_REASON_LENGTH} characters")
    return text


def day_range(date_from: object, date_to: object, fields: tuple[str, str]) -> tuple[str | None, str | None]:
    """The ISO bounds of a search from day ``date_from`` to day ``date_to``, both included: the first
    day and the day after the last (``None`` for a bound not given); ``fields`` name them in refusals."""
    start = parse_date(date_from, fields[0]).isoformat() if date_from not in {None, ""} else None
    end = None
    if date_to not in {None, ""}:
        end = date.fromordinal(parse_date(date_to, fields[1]).toordinal() + 1).isoformat()
    return start, end


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later (from a 29 February: the 28th)."""
    return date(day.year + years, day.month, 28 if (day.month, day.day) == (2, 29) else day.day)


def check_date(day: date, field: str, today: date | None = None, *, not_after_today: bool = False) -> date:
    """``day`` if it is a business date: from 1900-01-01 to one year after ``today`` (the day the command
    is recorded, from its :class:`~domain.events.RecordContext`: the domain reads no clock), or to
    ``today`` itself with ``not_after_today`` (a payment, a birth, a death). Without ``today`` (a field
    parsed where the command's day is not known) only the earliest date is checked."""
    if day < EARLIEST_DATE:
        raise InvalidInput(field, f"must be on or after {EARLIEST_DATE.isoformat()}, got {day.isoformat()}")
    if today is None:
        return day
    if not_after_today:
        if day > today:
            raise InvalidInput(
                field, f"must not be in the future (after {today.isoformat()}), got {day.isoformat()}"
            )
        return day
    latest = years_after(today, 1)
    if day > latest:
        raise InvalidInput(
            field, f"must not be more than a year ahead (after {latest.isoformat()}), got {day.isoformat()}"
        )
    return day


def check_basis_date(basis: dict[str, Any] | None, today: date) -> None:
    """The decision date of a parsed legal basis in the range of :func:`check_date`."""
    if basis and basis.get("decision_date"):
        check_date(date.fromisoformat(str(basis["decision_date"])), "basis.decision_date", today)


def parse_text(value: object, field: str, *, max_length: int = 500, required: bool = True) -> str:
    """A non-empty line of text (names, decision numbers, references): no control characters."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be text, got {value!r}")
    text = " ".join(refuse_control_characters(value, field).split())
    if required and not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    return text


# Province codes of birth registration used in the first three digits of a citizen ID
# (the 63 provinces before the 2025 reform, Thông tư 07/2016/TT-BCA).
CITIZEN_ID_PROVINCES = frozenset(
    {
        1,
        2,
        4,
        6,
        8,
        10,
        11,
        12,
        14,
        15,
        17,
        19,
        20,
        22,
        24,
        25,
        26,
        27,
        30,
        31,
        33,
        34,
        35,
        36,
        37,
        38,
        40,
        42,
        44,
        45,
        46,
        48,
        49,
        51,
        52,
        54,
        56,
        58,
        60,
        62,
        64,
        66,
        67,
        68,
        70,
        72,
        74,
        75,
        77,
        79,
        80,
        82,
        83,
        84,
        86,
        87,
        89,
        91,
        92,
        93,
        94,
        95,
        96,
    }
)


_IDENTIFIER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]*", re.ASCII)


def ascii_identifier(value: object, field: str) -> str:
    """An identifier as typed, made canonical: NFKC-normalised (full-width ``０７５`` becomes ``075``),
    outer spaces removed, and refused, naming the field and the character, if anything is still not
    ASCII (Arabic-Indic, Devanagari or other scripts' digits, letters with marks, control characters) —
    so that one number has one spelling and cannot be registered twice under another."""
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be text, got {value!r}")
    text = unicodedata.normalize("NFKC", value).strip()
    for char in text:
        if not (char.isascii() and char.isprintable()):
            name = unicodedata.name(char, "a control character")
            hint = " (write Đ as D)" if char in "Đđ" else ""
            raise InvalidInput(
                field,
                f"must be written with ASCII digits and letters (0–9, A–Z) only; "
                f"{char!r} (U+{ord(char):04X} {name}) is not{hint}",
            )
    return text


def parse_identifier(value: object, field: str, *, max_length: int = 100) -> str:
    """A reference such as a payment id or household code: ASCII letters, digits and ``. _ / : -``."""
    text = ascii_identifier(value, field)
    if not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    if not _IDENTIFIER_RE.fullmatch(text):
        raise InvalidInput(
            field, f"must be letters, digits and . _ / : - (starting with a letter or digit), got {text!r}"
        )
    return text


def parse_citizen_id(
    value: object,
    field: str = "citizen_id",
    *,
    date_of_birth: date | None = None,
    sex: str | None = None,
) -> str:
    """Citizen ID (số CCCD): 12 digits = province (3) + century/sex (1) + birth year (2) + serial (6).

    The century/sex digit is 0/1 for men/women born 1900–1999, 2/3 for 2000–2099, and so on.
    When the date of birth or sex is known it must agree with the number.
    """
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be 12 digits, got {value!r}")
    text = ascii_identifier(value, field)
    if not re.fullmatch(r"\d{12}", text, re.ASCII):
        raise InvalidInput(field, f"must be exactly 12 digits, got {value!r}")
    province = int(text[:3])
    if province not in CITIZEN_ID_PROVINCES:
        raise InvalidInput(
            field, f"first three digits {text[:3]} are not a province code of birth registration"
        )
    code = int(text[3])
    century = 1900 + 100 * (code // 2)
    year = century + int(text[4:6])
    is_female = code % 2 == 1
    if date_of_birth is not None and date_of_birth.year != year:
        raise InvalidInput(
            field, f"encodes birth year {year}, but date_of_birth is {date_of_birth.isoformat()}"
        )
    if sex is not None and sex in {"male", "female"} and is_female != (sex == "female"):
        raise InvalidInput(field, f"encodes sex {'female' if is_female else 'male'}, but sex is {sex}")
    return text


def parse_commune_code(value: object, field: str = "commune_code") -> str:
    """Commune code (mã xã/phường) of the 2025 reform: five digits. Existence is checked by the ledger."""
    if isinstance(value, str):
        text = ascii_identifier(value, field)
        if re.fullmatch(r"\d{5}", text, re.ASCII):
            return text
    raise InvalidInput(field, f"must be a 5-digit commune code of the 2025 reform, got {value!r}")


BHYT_GROUPS = {
    "CC": "Người có công (≥81%, Bà mẹ VNAH...)",
    "CK": "Người có công khác",
    "TS": "Thân nhân liệt sĩ",
    "BT": "Bảo trợ xã hội",
    "HN": "Hộ nghèo",
    "CN": "Hộ cận nghèo",
    "TE": "Trẻ em dưới 6 tuổi",
}
FUNDING_SOURCE_LABELS = {
    "central": "Ngân sách trung ương",
    "province": "Ngân sách tỉnh",
    "district": "Ngân sách huyện",
    "commune": "Ngân sách xã",
    "donation": "Nguồn vận động, ủng hộ",
}
"""The Vietnamese names of a gift's or a support's ``funding_source`` (nguồn kinh phí)."""
CARD_GROUPS_BY_KIND = {
    "meritorious": ("CC", "CK", "TS"),
    "social_assistance": ("BT",),
}
"""The card groups a beneficiary of each kind may hold (DESIGN §3 rule 8); a household's group follows
its poverty status (``HN`` poor, ``CN`` near-poor), and a child under 6 may hold ``TE`` whatever the kind."""
CARD_GROUP_BY_POVERTY = {"poor": "HN", "near_poor": "CN"}
CHILD_CARD_GROUP = "TE"
CHILD_CARD_AGE = 6

_CARD_RE = re.compile(r"^([A-Z]{2})([1-5])(\d{2})(\d{10})$", re.ASCII)


def parse_card_number(value: object, field: str = "card_number") -> str:
    """Health-insurance card number (mã thẻ BHYT), e.g. ``BT2807912345678``.

    Group code (2 letters) + benefit level digit (1–5) + province code (2 digits) +
    social-insurance number (10 digits). Spaces are ignored.
    """
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be a card number like BT2807912345678, got {value!r}")
    text = "".join(ascii_identifier(value, field).split()).upper()
    m = _CARD_RE.match(text)
    if not m:
        raise InvalidInput(
            field,
            "must be 2-letter group code + benefit digit 1–5 + 2-digit province + 10-digit "
            f"social-insurance number (15 characters), got {value!r}",
        )
    if m.group(1) not in BHYT_GROUPS:
        raise InvalidInput(field, f"group code {m.group(1)} is not one of {', '.join(BHYT_GROUPS)}")
    if int(m.group(3)) not in CITIZEN_ID_PROVINCES:
        raise InvalidInput(field, f"province code {m.group(3)} is not a province code")
    return text


def card_group(card_number: str) -> str:
    """The group code (first two letters) of a valid card number."""
    return card_number[:2]


PAYMENT_CHANNELS = ("cash", "bank")
"""The two ways a payment reaches a person (hình thức chi trả): cash at the post office, a bank transfer."""


def parse_channel(value: object, field: str = "channel") -> str:
    """A payment channel's name: ``cash`` or ``bank``."""
    if value not in PAYMENT_CHANNELS:
        raise InvalidInput(field, f"must be 'cash' or 'bank', got {value!r}")
    return str(value)


def parse_payment_channel(value: object, field: str = "payment_channel") -> dict[str, str]:
    """Payment channel: ``{"type": "cash"}`` or ``{"type": "bank", "bank_code", "account_number"}``."""
    if value is None:
        return {"type": "cash"}
    if not isinstance(value, dict):
        raise InvalidInput(field, f"must be an object with a type (cash or bank), got {value!r}")
    kind = value.get("type")
    if kind == "cash":
        return {"type": "cash"}
    if kind == "bank":
        bank_code = value.get("bank_code")
        account = value.get("account_number")
        bank_code = ascii_identifier(bank_code, f"{field}.bank_code")
        if not re.fullmatch(r"[A-Za-z0-9]{2,12}", bank_code, re.ASCII):
            raise InvalidInput(
                f"{field}.bank_code", f"must be a bank code (2–12 letters/digits), got {bank_code!r}"
            )
        account = ascii_identifier(account, f"{field}.account_number")
        if not re.fullmatch(r"\d{6,19}", account, re.ASCII):
            raise InvalidInput(f"{field}.account_number", f"must be 6–19 digits, got {account!r}")
        return {"type": "bank", "bank_code": bank_code.upper(), "account_number": account}
    raise InvalidInput(f"{field}.type", f"must be 'cash' or 'bank', got {kind!r}")


def parse_basis(value: object, field: str = "basis", *, required: bool = True) -> dict[str, str] | None:
    """Legal basis (căn cứ): ``{decision_no, decision_date, issuer}``."""
    if value is None:
        if required:
            raise InvalidInput(field, "is required: {decision_no, decision_date, issuer}")
        return None
    if not isinstance(value, dict):
        raise InvalidInput(field, f"must be an object {{decision_no, decision_date, issuer}}, got {value!r}")
    decision_no = parse_text(value.get("decision_no"), f"{field}.decision_no", max_length=100)
    decision_date = parse_date(value.get("decision_date"), f"{field}.decision_date")
    issuer = parse_text(value.get("issuer"), f"{field}.issuer", max_length=200)
    return {"decision_no": decision_no, "decision_date": decision_date.isoformat(), "issuer": issuer}


def basis_date(basis: dict[str, Any] | None) -> date | None:
    """The decision date of a parsed basis."""
    if not basis:
        return None
    return date.fromisoformat(str(basis["decision_date"]))
