"""Synthetic province — tỉnh mẫu: a realistic, deterministic ledger for demos, tests and load checks.

One province and its real communes (``vietnam-provinces``), beneficiaries of the three kinds in the
proportions of the provincial reports (bảo trợ xã hội ≈ 80 %, người có công ≈ 15 %, hộ nghèo ≈ 5 %),
Vietnamese names, valid citizen IDs, decisions with their legal basis, two years of monthly payments
(cash at the post office or to a bank account), uncollected months, late-reported deaths with the
overpayments they reveal and the recoveries that follow, funeral allowances, terminations,
adjustments with arrears, suspensions, relocations and health-insurance cards.

Speed matters (a demo of thousands of people must take seconds, not minutes), so the generator does
not call one ledger command per payment. It drives the domain aggregates in memory — the same
methods the ledger's commands call, so every rule of the aggregate still applies (never pay twice,
nothing after a recorded death, ...) — with a :class:`~domain.events.RecordContext` whose
``recorded_at`` is the business time of the simulation (never going back within a stream), creates
the matching uniqueness claims, and saves many aggregates per transaction. Everything is drawn from
``random.Random`` seeded by ``seed``: the same seed and the same ``today`` give the same events,
hashes included (:attr:`SyntheticSummary.fingerprint`).
"""

from __future__ import annotations

import calendar
import hashlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.beneficiary import ONE_OFF, Beneficiary
from domain.catalogue import reference_rate_entries
from domain.events import LedgerAggregate, RecordContext
from domain.indexes import UniqueClaim
from domain.snapshots import BeneficiarySnapshot
from domain.values import CITIZEN_ID_PROVINCES, Month, months_between
from ledger.communes import Commune, communes_of, configured_province, parse_province

if TYPE_CHECKING:
    from collections.abc import Callable

    from domain.catalogue import RateBook
    from ledger.application import BenefitsLedger

VN_TZ = timezone(timedelta(hours=7), "ICT")
DEFAULT_PROVINCE = "75"  # Đồng Nai
WINDOW_MONTHS = 24
SYSTEM_ACTOR = "system"
BANK_ACTOR = "bank-import"
PROVINCE_ACTOR = "province-officer"
FOREVER = Month(9999, 12)

# ------------------------------------------------------------------------------------------------
# Names (họ, tên đệm, tên) — weights roughly as in the south of Viet Nam.

FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 31), ("Trần", 10), ("Lê", 9), ("Phạm", 6), ("Huỳnh", 5), ("Võ", 5), ("Phan", 4),
    ("Hoàng", 2), ("Vũ", 2), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 1.5), ("Hồ", 1.5), ("Ngô", 1.5),
    ("Trương", 1.5), ("Dương", 1), ("Đinh", 0.8), ("Lâm", 0.8), ("Đoàn", 0.8), ("Lý", 0.7),
    ("Mai", 0.7), ("Cao", 0.6), ("Châu", 0.5), ("Tạ", 0.4),
)  # fmt: skip
MALE_MIDDLE: tuple[tuple[str, float], ...] = (
    ("Văn", 40), ("Hữu", 6), ("Đức", 6), ("Minh", 6), ("Quốc", 4), ("Công", 4), ("Tấn", 4),
    ("Thanh", 4), ("Ngọc", 3), ("Xuân", 2),
)  # fmt: skip
FEMALE_MIDDLE: tuple[tuple[str, float], ...] = (
    ("Thị", 45), ("Ngọc", 6), ("Thu", 4), ("Kim", 4), ("Thanh", 3), ("Mỹ", 3), ("Bích", 2),
    ("Hồng", 2), ("Thúy", 2),
)  # fmt: skip
YOUNG_MALE_MIDDLE = ("Minh", "Gia", "Đức", "Quốc", "Hoàng", "Anh", "Tuấn", "Thanh")
YOUNG_FEMALE_MIDDLE = ("Ngọc", "Khánh", "Thảo", "Bảo", "Thu", "Minh", "Phương", "Thị")
MALE_GIVEN = (
    "Hùng", "Dũng", "Tuấn", "Long", "Nam", "Sơn", "Hải", "Phúc", "Tâm", "Thắng", "Cường", "Bình",
    "An", "Lộc", "Tài", "Đạt", "Hòa", "Trung", "Quang", "Hiếu", "Nghĩa", "Thuận", "Phước", "Lợi",
    "Tư", "Sáu", "Bảy", "Tám", "Chín", "Mười", "Hoàng", "Thành", "Vinh", "Khải", "Tùng",
)  # fmt: skip
FEMALE_GIVEN = (
    "Lan", "Hoa", "Mai", "Hương", "Hạnh", "Nga", "Thảo", "Cúc", "Liên", "Xuân", "Thủy", "Hồng",
    "Vân", "Lệ", "Nhàn", "Sen", "Đào", "Ba", "Tư", "Năm", "Sáu", "Bảy", "Út", "Loan", "Tuyết",
    "Nhung", "Phượng", "Dung", "Yến", "Hằng",
)  # fmt: skip
YOUNG_MALE_GIVEN = ("Huy", "Khang", "Long", "Phúc", "Nam", "Khoa", "Bảo", "Khôi", "Quân", "Thịnh", "Đăng")
YOUNG_FEMALE_GIVEN = ("Anh", "Hân", "Ngân", "Vy", "Trâm", "Nhi", "Linh", "Thư", "Châu", "Giang", "My")
MALE_ONLY_MIDDLE = frozenset({"Văn", "Hữu", "Đức", "Quốc", "Công", "Tấn"})
FEMALE_ONLY_MIDDLE = frozenset({"Thị", "Thu", "Kim", "Mỹ", "Bích", "Hồng", "Thúy", "Khánh", "Phương"})

# Provinces of birth registration (first three digits of a citizen ID) of people who moved in.
MIGRANT_BIRTH_PROVINCES = (1, 38, 40, 36, 34, 42, 79, 51, 52, 49, 70, 77, 74, 80, 60, 35, 26)
# Bank code, usual length of its account numbers, weight.
BANKS = (("AGRIBANK", 13, 40), ("VCB", 13, 20), ("BIDV", 14, 15), ("VTB", 12, 15), ("LPB", 10, 10))
# Health-insurance group (mã đối tượng) → benefit level digit (mức hưởng).
CARD_LEVEL = {"CC": 1, "TE": 1, "CK": 2, "TS": 2, "BT": 2, "HN": 2, "CN": 3}

# Kind → share of beneficiaries; then groups inside each kind.
KIND_SHARES = {"social_assistance": 0.80, "meritorious": 0.15, "poor_household": 0.05}
BTXH_GROUPS: tuple[tuple[str, float], ...] = (
    ("elderly80", 55), ("disabled", 23), ("single_parent", 7), ("elderly_poor", 6), ("orphan", 5),
    ("youth", 2), ("hiv", 2),
)  # fmt: skip
NCC_GROUPS: tuple[tuple[str, float], ...] = (
    ("martyr_relative", 40), ("war_invalid", 30), ("toxic_chemical", 18), ("sick_soldier", 9),
    ("heroic_mother", 3),
)  # fmt: skip
# Ages (when the ledger opened) of each group.
AGES = {
    "elderly80": (80, 99),
    "elderly_poor": (60, 76),
    "single_parent": (22, 45),
    "orphan": (4, 13),
    "youth": (16, 19),
    "hiv": (25, 55),
    "martyr_relative": (60, 95),
    "war_invalid": (62, 80),
    "sick_soldier": (62, 80),
    "toxic_chemical": (60, 80),
    "heroic_mother": (92, 104),
}
SHARE_FEMALE = {
    "heroic_mother": 1.0,
    "war_invalid": 0.0,
    "sick_soldier": 0.0,
    "toxic_chemical": 0.15,
    "martyr_relative": 0.65,
    "single_parent": 0.9,
    "elderly80": 0.62,
}
# Simple groups: one scheme, one card group.
SIMPLE_SCHEMES = {
    "elderly80": "BTXH_ELDERLY_80",
    "elderly_poor": "BTXH_ELDERLY_POOR_60_80",
    "orphan": "BTXH_CHILD_ORPHAN_4PLUS",
    "youth": "BTXH_YOUTH_16_22_STUDYING",
    "hiv": "BTXH_HIV_ADULT_POOR",
    "heroic_mother": "NCC_HEROIC_MOTHER",
}
INJURY_SCHEMES = {
    "war_invalid": "NCC_WAR_INVALID",
    "toxic_chemical": "NCC_TOXIC_CHEMICAL",
    "sick_soldier": "NCC_SICK_SOLDIER",
}
# Chance of dying during the two years (recorded on time).
DEATH_RISK = {"elderly80": 0.08, "heroic_mother": 0.25, "elderly_poor": 0.03, "meritorious": 0.05}


def simulated_months(today: date) -> tuple[Month, Month]:
    """The two years simulated before ``today``: up to the month before it, from no earlier than the
    first month for which the packaged standards have a rate (2021-07)."""
    last = Month.of(today).previous()
    entries = reference_rate_entries()
    earliest = max(
        min(e.effective_from for e in entries if e.schedule == schedule)
        for schedule in ("BTXH_STANDARD", "NCC_STANDARD")
    )
    if last < earliest:
        msg = f"today must fall after {earliest}: the packaged standards start in {earliest}"
        raise ValueError(msg)
    return max(earliest, last.plus(-(WINDOW_MONTHS - 1))), last


def _weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _last_day(month: Month) -> date:
    return date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])


def _day(month: Month, day: int) -> date:
    return date(month.year, month.month, min(day, calendar.monthrange(month.year, month.month)[1]))


def _plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def middle_name_sex(full_name: str) -> str | None:
    """The sex a middle name (tên đệm) implies, if it implies one (Văn → male, Thị → female)."""
    parts = full_name.split()
    middle = set(parts[1:-1])
    if middle & MALE_ONLY_MIDDLE:
        return "male"
    if middle & FEMALE_ONLY_MIDDLE:
        return "female"
    return None


# ------------------------------------------------------------------------------------------------
# The result.


@dataclass
class SyntheticSummary:
    """What the generator wrote: people, events, money, and the exceptions it planted."""

    province: str
    province_name: str
    seed: int
    today: date
    first_month: Month
    last_month: Month
    beneficiaries: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_scheme: Counter[str] = field(default_factory=Counter)
    events: int = 0
    beneficiary_events: int = 0
    claims: int = 0
    rate_events: int = 0
    payments: int = 0
    amount_paid: int = 0
    bank_payments: int = 0
    not_collected: int = 0
    deaths: int = 0
    late_deaths: int = 0
    funerals: int = 0
    terminations: int = 0
    adjustments: int = 0
    relocations: int = 0
    channel_changes: int = 0
    suspensions: int = 0
    cards_issued: int = 0
    cards_renewed: int = 0
    cards_revoked: int = 0
    recoveries: int = 0
    overpayment_people: int = 0
    overpayment_outstanding: int = 0
    suspension_candidates: int = 0
    seconds: float = 0.0
    fingerprint: str = ""
    beneficiary_ids: list[UUID] = field(default_factory=list)
    late_death_ids: list[UUID] = field(default_factory=list)
    fully_recovered_ids: list[UUID] = field(default_factory=list)
    suspension_candidate_ids: list[UUID] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------
# Who each person is, and what happens to them.


@dataclass
class _Grant:
    """A decision (quyết định) to grant a scheme."""

    scheme: str
    params: dict[str, Any]
    effective_from: Month
    decision: date
    issuer: str
    decision_no: str
    reason: str = ""

    @property
    def basis(self) -> dict[str, str]:
        return {
            "decision_no": self.decision_no,
            "decision_date": self.decision.isoformat(),
            "issuer": self.issuer,
        }


@dataclass
class _Roles:
    """The planted exceptions a person carries."""

    late_death: int | None = None  # index among late deaths: even → a recovery follows, %4 == 0 → in full
    candidate: bool = False  # the last three months not collected
    suspend_resume: bool = False  # three months not collected, suspended, later resumed

    @property
    def any(self) -> bool:
        return self.late_death is not None or self.candidate or self.suspend_resume


@dataclass
class _Person:
    index: int
    rng: random.Random
    bid: UUID
    short: str
    kind: str
    group: str
    commune: Commune
    existing: bool
    roles: _Roles
    start: Month
    full_name: str = ""
    citizen_id: str | None = None
    dob: date | None = None
    sex: str | None = None
    household_code: str | None = None
    poverty_status: str | None = None
    members: list[dict[str, Any]] = field(default_factory=list)
    channel: dict[str, str] = field(default_factory=lambda: {"type": "cash"})
    grants: list[_Grant] = field(default_factory=list)
    card_group: str = ""


@dataclass
class _Plan:
    """What will happen to one person during the two years (months are business months)."""

    death: date | None = None
    death_recorded: date | None = None
    recovery: date | None = None
    recovery_in_full: bool = False
    termination: Month | None = None
    relocation: tuple[Month, Commune] | None = None
    bank_from: Month | None = None
    adjustment: tuple[Month, Month, dict[str, Any]] | None = None  # decided, effective, new params
    uncollected: dict[Month, Month] = field(default_factory=dict)  # month → when it is paid after all
    suspension: tuple[Month, Month] | None = None  # suspended from, resumed from
    one_offs: dict[Month, list[_Grant]] = field(default_factory=dict)


class _StreamClock:
    """Business time of one stream: never goes back, never passes the cutoff."""

    def __init__(self, cutoff: datetime) -> None:
        self.cursor: datetime | None = None
        self.cutoff = cutoff

    def at(self, day: date, hour: int = 9, minute: int = 0) -> datetime | None:
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN_TZ)
        if self.cursor is not None and moment <= self.cursor:
            moment = self.cursor + timedelta(minutes=1)
        if moment > self.cutoff:
            return None
        self.cursor = moment
        return moment


# ------------------------------------------------------------------------------------------------
# The province: who lives where, and the people's identities.


class _Province:
    def __init__(self, *, seed: int, today: date, province: str, rates: RateBook, count: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - a simulation, not secrets
        self.today = today
        self.rates = rates
        self.count = count
        self.first_month, self.last_month = simulated_months(today)
        self.months = months_between(self.first_month, self.last_month)
        self.month_index = {m: i for i, m in enumerate(self.months)}
        # Nothing is recorded after yesterday evening: the demo's "now" comes after every event.
        self.cutoff = datetime.combine(today - timedelta(days=1), datetime.min.time(), VN_TZ).replace(hour=18)
        self.communes = communes_of(province)
        if not self.communes:
            msg = f"province {province} has no communes in vietnam-provinces"
            raise ValueError(msg)
        self.province = province
        name = self.communes[0].province_name
        self.province_name = name
        self.province_label = name if name.startswith("Thành phố") else f"tỉnh {name}"
        # Uneven spread: a few big communes, many small ones.
        self.commune_weights = [self.rng.lognormvariate(0, 0.8) for _ in self.communes]
        home = int(province)
        self.home_birth_codes = [home] if home in CITIZEN_ID_PROVINCES else [1]
        if province == "75":  # Đồng Nai took in Bình Phước (070) in 2025
            self.home_birth_codes = [75, 75, 75, 70]
        self.card_province = home if home in CITIZEN_ID_PROVINCES else 1
        self.used_citizen_ids: set[str] = set()
        self.used_shorts: set[str] = set()
        self.used_insurance: set[int] = set()
        self.household_serial = 0
        self.summary = SyntheticSummary(
            province=province,
            province_name=name,
            seed=seed,
            today=today,
            first_month=self.first_month,
            last_month=self.last_month,
        )
        self.roles = self._assign_roles()

    def _assign_roles(self) -> list[tuple[str, bool, _Roles]]:
        """Kinds in the report's proportions (stratified), who was already paid when the ledger
        opened, and the people who carry the planted exceptions."""
        n = self.count
        n_hn = max(1, round(n * KIND_SHARES["poor_household"])) if n >= 10 else 0
        n_ncc = max(1, round(n * KIND_SHARES["meritorious"])) if n >= 5 else 0
        kinds = ["poor_household"] * n_hn + ["meritorious"] * n_ncc
        kinds += ["social_assistance"] * (n - len(kinds))
        self.rng.shuffle(kinds)
        existing = [self.rng.random() < 0.65 for _ in range(n)]
        plans = [(k, e, _Roles()) for k, e in zip(kinds, existing, strict=True)]
        eligible = [i for i, (k, e, _) in enumerate(plans) if e and k != "poor_household"]
        self.rng.shuffle(eligible)
        picks = iter(eligible)
        span = len(self.months)  # short windows (a "today" soon after 2021-07) leave no room for some
        for j in range(max(2, round(n * 0.01)) if n >= 20 and span >= 8 else 0):
            if (i := next(picks, None)) is not None:
                plans[i][2].late_death = j
        for _ in range(max(1, round(n * 0.004)) if n >= 10 and span >= 3 else 0):
            if (i := next(picks, None)) is not None:
                plans[i][2].candidate = True
        for _ in range(max(1, round(n * 0.002)) if n >= 50 and span >= 12 else 0):
            if (i := next(picks, None)) is not None:
                plans[i][2].suspend_resume = True
        return plans

    # ------------------------------------------------------------------ identities

    def new_id(self, rng: random.Random) -> tuple[UUID, str]:
        while True:
            bid = UUID(int=rng.getrandbits(128), version=4)
            if (short := bid.hex[:8]) not in self.used_shorts:
                self.used_shorts.add(short)
                return bid, short

    def citizen_id(self, rng: random.Random, dob: date, sex: str) -> str:
        """Province of birth registration (3) + century/sex (1) + year (2) + serial (6), unique."""
        home = rng.random() < 0.72
        code = rng.choice(self.home_birth_codes) if home else rng.choice(MIGRANT_BIRTH_PROVINCES)
        century_sex = 2 * ((dob.year - 1900) // 100) + (1 if sex == "female" else 0)
        while True:
            cid = f"{code:03d}{century_sex}{dob.year % 100:02d}{rng.randint(1, 999_999):06d}"
            if cid not in self.used_citizen_ids:
                self.used_citizen_ids.add(cid)
                return cid

    def card_number(self, rng: random.Random, group: str) -> str:
        """Group + benefit level + province + 10-digit social-insurance number (its first 2 = province)."""
        while True:
            insurance = self.card_province * 100_000_000 + rng.randint(1, 99_999_999)
            if insurance not in self.used_insurance:
                self.used_insurance.add(insurance)
                return f"{group}{CARD_LEVEL[group]}{self.card_province:02d}{insurance:010d}"

    @staticmethod
    def name(rng: random.Random, sex: str, *, young: bool = False, family: str | None = None) -> str:
        family = family or _weighted(rng, FAMILY_NAMES)
        if young:
            middle = rng.choice(YOUNG_MALE_MIDDLE if sex == "male" else YOUNG_FEMALE_MIDDLE)
            given = rng.choice(YOUNG_MALE_GIVEN if sex == "male" else YOUNG_FEMALE_GIVEN)
        else:
            middle = _weighted(rng, MALE_MIDDLE if sex == "male" else FEMALE_MIDDLE)
            given = rng.choice(MALE_GIVEN if sex == "male" else FEMALE_GIVEN)
        return f"{family} {middle} {given}"

    def birth(self, rng: random.Random, age_low: int, age_high: int) -> date:
        """A date of birth for someone aged ``age_low``–``age_high`` when the ledger opened."""
        year = self.first_month.year - rng.randint(age_low, age_high)
        return date(year, rng.randint(1, 12), rng.randint(1, 28))

    def bank_channel(self, rng: random.Random) -> dict[str, str]:
        code, digits, _ = rng.choices(BANKS, weights=[b[2] for b in BANKS])[0]
        digits = max(10, min(14, digits + rng.choice((-1, 0, 0, 0))))
        account = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(digits - 1))
        return {"type": "bank", "bank_code": code, "account_number": account}

    # ------------------------------------------------------------------ decisions

    @staticmethod
    def commune_issuer(commune: Commune) -> str:
        first, _, rest = commune.name.partition(" ")
        if first in {"Xã", "Phường"}:
            return f"UBND {first.lower()} {rest}"
        if commune.name.startswith("Đặc khu "):
            return f"UBND đặc khu {commune.name.removeprefix('Đặc khu ')}"
        return f"UBND {commune.name}"

    def decision(
        self, rng: random.Random, commune: Commune, decided: date, *, provincial: bool
    ) -> tuple[str, str]:
        """Issuer and number of a decision: the commune's People's Committee, or the provincial
        department for people with meritorious service (Sở LĐTBXH, from March 2025 Sở Nội vụ)."""
        if provincial:
            if decided < date(2025, 3, 1):
                return f"Sở Lao động - Thương binh và Xã hội {self.province_label}", (
                    f"{rng.randint(100, 4999)}/QĐ-SLĐTBXH"
                )
            return f"Sở Nội vụ {self.province_label}", f"{rng.randint(100, 4999)}/QĐ-SNV"
        return self.commune_issuer(commune), f"{rng.randint(10, 1999)}/QĐ-UBND"

    def cash_day(self, commune: Commune, month: Month) -> int:
        """The post office's payout day for a commune and month (deterministic, 5–15)."""
        return random.Random(f"{self.seed}/day/{commune.code}/{month}").randint(5, 15)  # noqa: S311

    # ------------------------------------------------------------------ a person

    def person(self, index: int) -> _Person:
        kind, existing, roles = self.roles[index]
        rng = random.Random(f"{self.seed}/person/{index}")  # noqa: S311 - simulation, not secrets
        bid, short = self.new_id(rng)
        commune = rng.choices(self.communes, weights=self.commune_weights)[0]
        groups = {"social_assistance": BTXH_GROUPS, "meritorious": NCC_GROUPS}
        group = _weighted(rng, groups[kind]) if kind in groups else "household"
        existing = existing or roles.any
        start = self.first_month if existing else self.months[rng.randint(1, len(self.months) - 1)]
        p = _Person(index, rng, bid, short, kind, group, commune, existing, roles, start)
        if kind == "poor_household":
            self._household(p)
        else:
            self._individual(p)
        bank_share = {"meritorious": 0.22, "social_assistance": 0.09, "poor_household": 0.05}[kind]
        if group in {"single_parent", "youth", "hiv"}:
            bank_share = 0.3
        if rng.random() < (0.0 if roles.candidate or roles.suspend_resume else bank_share):
            p.channel = self.bank_channel(rng)
        self._grants(p)
        return p

    def _individual(self, p: _Person) -> None:
        rng = p.rng
        p.sex = "female" if rng.random() < SHARE_FEMALE.get(p.group, 0.5) else "male"
        if p.group == "disabled":
            band = rng.choices(((6, 13), (18, 57), (60, 90)), weights=(15, 55, 30))[0]
            p.dob = self.birth(rng, *band)
        else:
            p.dob = self.birth(rng, *AGES[p.group])
        if p.group == "elderly80" and not p.existing and rng.random() < 0.6:
            # Turned 80 during the two years: the allowance starts the month of the 80th birthday.
            p.dob = date(p.start.year - 80, p.start.month, rng.randint(1, 28))
        threshold = {"elderly80": 80, "youth": 16}.get(p.group)
        opened = self.first_month.first_day() - timedelta(days=20)
        while p.existing and threshold is not None and _plus_years(p.dob, threshold) > opened:
            p.dob = p.dob.replace(year=p.dob.year - 1)  # already eligible when the ledger opened
        p.full_name = self.name(rng, p.sex, young=p.dob.year >= 1995)
        p.citizen_id = self.citizen_id(rng, p.dob, p.sex)

    def _household(self, p: _Person) -> None:
        rng = p.rng
        self.household_serial += 1
        p.poverty_status = "poor" if rng.random() < 0.55 else "near_poor"
        prefix = "HN" if p.poverty_status == "poor" else "CN"
        p.household_code = f"{prefix}-{p.commune.code}-{self.household_serial:04d}"
        size = rng.choices((2, 3, 4, 5, 6), weights=(20, 30, 28, 15, 7))[0]
        head_sex = "male" if rng.random() < 0.7 else "female"
        head_dob = self.birth(rng, 28, 70)
        family = _weighted(rng, FAMILY_NAMES)
        people = [(self.name(rng, head_sex, family=family), head_dob, head_sex, "chủ hộ")]
        if rng.random() < 0.8:
            sex = "female" if head_sex == "male" else "male"
            dob = date(max(1940, head_dob.year + rng.randint(-6, 4)), rng.randint(1, 12), rng.randint(1, 28))
            people.append((self.name(rng, sex), dob, sex, "vợ" if head_sex == "male" else "chồng"))
        while len(people) < size:
            sex = rng.choice(("male", "female"))
            if rng.random() < 0.15 and head_dob.year > 1965:
                dob = date(head_dob.year - rng.randint(20, 32), rng.randint(1, 12), rng.randint(1, 28))
                people.append((self.name(rng, sex), dob, sex, "cha" if sex == "male" else "mẹ"))
                continue
            year = min(self.first_month.year - 1, head_dob.year + rng.randint(20, 38))
            dob = date(year, rng.randint(1, 12), rng.randint(1, 28))
            child_family = family if head_sex == "male" else _weighted(rng, FAMILY_NAMES)
            people.append((self.name(rng, sex, young=year >= 1995, family=child_family), dob, sex, "con"))
        p.full_name = people[0][0]
        p.members = [
            {
                "citizen_id": self.citizen_id(rng, dob, sex),
                "full_name": name,
                "date_of_birth": dob.isoformat(),
                "relation": relation,
            }
            for name, dob, sex, relation in people
        ]
        p.citizen_id = p.members[0]["citizen_id"]

    def _grants(self, p: _Person) -> None:
        rng = p.rng
        if p.existing:
            # Paid under an older decision when the ledger opened: the ledger pays from its first month.
            oldest = date(2016, 1, 1)
            if p.dob is not None and p.group == "elderly80":
                oldest = max(oldest, _plus_years(p.dob, 80))
            if p.dob is not None and p.group == "youth":
                oldest = max(oldest, _plus_years(p.dob, 16))
            latest = self.first_month.first_day() - timedelta(days=20)
            decided = oldest + timedelta(days=rng.randint(0, max(0, (latest - oldest).days)))
            effective = self.first_month
            reason = f"hồ sơ đang hưởng khi mở sổ; chi trả trên sổ từ {self.first_month}"
        else:
            decided = _day(p.start, rng.randint(1, 20))
            effective = p.start
            if p.kind == "meritorious" and rng.random() < 0.35:  # effective in the past: truy lĩnh
                effective = max(self.first_month, p.start.plus(-rng.randint(1, 3)))
            reason = "hồ sơ mới"
        issuer, number = self.decision(rng, p.commune, decided, provincial=p.kind == "meritorious")
        for scheme, params in self._schemes(p, decided):
            p.grants.append(_Grant(scheme, params, effective, decided, issuer, number, reason))
        p.card_group = self._card_group(p)

    def _schemes(self, p: _Person, decided: date) -> list[tuple[str, dict[str, Any]]]:
        """The scheme(s) a person's group receives, with their parameters."""
        rng, group = p.rng, p.group
        out: list[tuple[str, dict[str, Any]]] = []

        def grant(scheme: str, params: dict[str, Any] | None = None) -> None:
            out.append((scheme, params or {}))

        if group in SIMPLE_SCHEMES:
            grant(SIMPLE_SCHEMES[group])
        elif group == "disabled":
            assert p.dob is not None  # noqa: S101 - persons have a date of birth
            age = self.first_month.year - p.dob.year
            severity = "EXTREME" if rng.random() < 0.35 else "SEVERE"
            suffix = "_CHILD_OR_ELDERLY" if age < 16 or age >= 60 else ""
            grant(f"BTXH_DISABLED_{severity}{suffix}")
        elif group == "single_parent":
            grant(
                "BTXH_SINGLE_PARENT_PER_CHILD", {"children": rng.choices((1, 2, 3), weights=(50, 35, 15))[0]}
            )
        elif group == "martyr_relative":
            grant("NCC_MARTYR_RELATIVE", {"martyrs": rng.choices((1, 2, 3), weights=(85, 12, 3))[0]})
        elif group in INJURY_SCHEMES:
            low = 41 if group == "sick_soldier" else 21
            bands = ((low, 60 if low == 41 else 40), (61 if low == 41 else 41, 80), (81, 100))
            lo, hi = rng.choices(bands, weights=(60, 28, 12))[0]
            params: dict[str, Any] = {"injury_rate": rng.randint(lo, hi)}
            if params["injury_rate"] >= 81 and rng.random() < 0.3:
                params["extremely_severe"] = True
            grant(INJURY_SCHEMES[group], params)
        elif group == "household" and p.poverty_status == "poor":
            # 30 kWh a month at the first-tier price of the time, paid by quarter (QĐ 28/2014/QĐ-TTg).
            price = 1728 if decided < date(2023, 11, 9) else 1806 if decided < date(2024, 10, 11) else 1893
            grant("HN_ELECTRICITY", {"amount": round(90 * price, -3)})
        # A few people in two groups of the "highest coefficient" rule: only the higher one is paid.
        if group == "elderly80" and rng.random() < 0.06:
            severity = "EXTREME" if rng.random() < 0.3 else "SEVERE"
            grant(f"BTXH_DISABLED_{severity}_CHILD_OR_ELDERLY")
        return out

    @staticmethod
    def _card_group(p: _Person) -> str:
        """Health-insurance group (mã đối tượng) by what the person receives."""
        if p.kind == "poor_household":
            return "HN" if p.poverty_status == "poor" else "CN"
        if p.kind == "social_assistance":
            return "BT"
        if p.group == "martyr_relative":
            return "TS"
        if p.group == "heroic_mother" or (
            p.group in INJURY_SCHEMES and p.grants[0].params["injury_rate"] >= 81
        ):
            return "CC"
        return "CK"


# ------------------------------------------------------------------------------------------------
# One person's two years, told through the aggregate's own commands.


class _Story:
    def __init__(self, province: _Province, person: _Person) -> None:
        self.pv = province
        self.p = person
        self.rng = person.rng
        self.rates = province.rates
        self.s = province.summary
        self.clock = _StreamClock(province.cutoff)
        self.claims: list[LedgerAggregate] = []
        self.commune = person.commune
        self.channel = dict(person.channel)
        self.eids: list[str] = []
        self.granted_on: dict[str, date] = {}
        self.opened_until: dict[str, Month] = {}
        self.open_periods: set[tuple[str, str]] = set()
        self.payments_for: Counter[tuple[str, str]] = Counter()
        self.cards: dict[str, date] = {}  # card number → valid to
        self.dead = False
        self.terminated = False
        self.plan = _Plan()
        self.start_index = province.month_index[person.start]
        if person.existing:
            self.registered_on = _day(province.first_month, self.rng.randint(1, 4))
        else:
            first = person.grants[0].decision if person.grants else person.start.first_day()
            self.registered_on = max(
                province.first_month.first_day(), first - timedelta(days=self.rng.randint(3, 20))
            )
        moment = self.clock.at(self.registered_on, self.rng.randint(8, 11), self.rng.randint(0, 59))
        assert moment is not None  # noqa: S101 - registrations all lie before the cutoff
        ctx = self._ctx(moment, "nhập hồ sơ đang hưởng khi mở sổ" if person.existing else "tiếp nhận hồ sơ")
        self.agg = Beneficiary.register(
            ctx,
            beneficiary_id=person.bid,
            kind=person.kind,
            full_name=person.full_name,
            commune_code=person.commune.code,
            province_code=person.commune.province_code,
            citizen_id=person.citizen_id,
            date_of_birth=person.dob.isoformat() if person.dob else None,
            sex=person.sex,
            household_code=person.household_code,
            poverty_status=person.poverty_status,
            members=person.members or None,
            payment_channel=person.channel,
        )
        if person.citizen_id:
            self.claims.append(UniqueClaim.claim(ctx, "citizen_id", person.citizen_id, person.bid))

    @property
    def officer(self) -> str:
        return PROVINCE_ACTOR if self.p.kind == "meritorious" else f"case-officer-{self.commune.code}"

    def _ctx(self, moment: datetime, reason: str = "", actor: str | None = None) -> RecordContext:
        return RecordContext(
            actor=actor or f"case-officer-{self.commune.code}", recorded_at=moment, reason=reason
        )

    def _months_after(self, offset: int) -> list[Month]:
        return self.pv.months[self.start_index + offset :]

    def _pick(self, months: list[Month]) -> Month | None:
        return months[self.rng.randint(0, len(months) - 1)] if months else None

    def _basis(self, decided: date, *, provincial: bool = False) -> dict[str, str]:
        issuer, number = self.pv.decision(
            self.rng, self.commune, decided, provincial=provincial or self.p.kind == "meritorious"
        )
        return {"decision_no": number, "decision_date": decided.isoformat(), "issuer": issuer}

    # ------------------------------------------------------------------ the whole story

    def tell(self) -> list[LedgerAggregate]:
        for g in self.p.grants:
            self.grant(
                g, self.registered_on if self.p.existing else g.decision, 14 if self.p.existing else 10
            )
        if self.p.card_group and (self.p.kind == "poor_household" or self.rng.random() < 0.93):
            when = self.granted_on[self.eids[0]] if self.eids else self.registered_on
            for _ in range(max(1, len(self.p.members))):
                self.issue_card(self.p.card_group, self.p.start.first_day(), when)
        self._plan_life()
        self._plan_changes()
        self._plan_collection()
        self._plan_one_offs()
        for month in self._months_after(0):
            self.early(month)
            if not self.pay(month):
                break
            self.late(month)
        outstanding = self.agg.overpayment_outstanding(self.rates)
        if outstanding > 0:
            self.s.overpayment_people += 1
            self.s.overpayment_outstanding += outstanding
        if self.agg.is_suspension_candidate:
            self.s.suspension_candidates += 1
            self.s.suspension_candidate_ids.append(self.p.bid)
        return [self.agg, *self.claims]

    # ------------------------------------------------------------------ planning

    def _plan_life(self) -> None:
        """Death (on time, or reported late with a recovery or not) and termination."""
        rng, plan, roles, months = self.rng, self.plan, self.p.roles, self.pv.months
        if roles.late_death is not None:
            late = rng.randint(1, 3)
            low, high = self.start_index + 2, len(months) - 2 - late
            died_in = months[rng.randint(low, max(low, high))]
            plan.death = _day(died_in, rng.randint(1, 26))
            plan.death_recorded = _day(died_in.plus(late), rng.randint(20, 27))
            if roles.late_death % 2 == 0:
                plan.recovery = _day(died_in.plus(late + 1), rng.randint(18, 27))
                plan.recovery_in_full = roles.late_death % 4 == 0
            return
        if roles.any:
            return
        if self.p.kind != "poor_household":
            risk = DEATH_RISK.get(self.p.group, DEATH_RISK.get(self.p.kind, 0.005))
            dies = self._pick(self._months_after(1))
            if rng.random() < risk and dies is not None:
                plan.death = _day(dies, rng.randint(1, 25))
                plan.death_recorded = min(_last_day(dies), plan.death + timedelta(days=rng.randint(1, 8)))
        chance = 0.10 if self.p.kind == "poor_household" else 0.015
        ends = self._pick(self._months_after(2)[:-1])
        if rng.random() < chance and ends is not None and (plan.death is None or ends < Month.of(plan.death)):
            plan.termination = ends

    def _plan_changes(self) -> None:
        """Relocation, a switch to a bank account, an adjustment of the main entitlement."""
        rng, plan, p = self.rng, self.plan, self.p
        moved = self._pick(self._months_after(1))
        others = [c for c in self.pv.communes if c.code != p.commune.code]
        if rng.random() < 0.012 and moved is not None and others:
            plan.relocation = (moved, rng.choice(others))
        switched = self._pick(self._months_after(1))
        if p.channel["type"] == "cash" and not (p.roles.candidate or p.roles.suspend_resume):
            plan.bank_from = switched if rng.random() < 0.06 else None
        main = p.grants[0] if p.grants else None
        decided = self._pick(self._months_after(3))
        if main is None or decided is None:
            return
        if main.scheme in INJURY_SCHEMES.values() and rng.random() < 0.07:
            # Re-examined (giám định lại): a higher injury rate, sometimes from a past month (arrears).
            old = int(main.params["injury_rate"])
            new = min(100, old + rng.randint(5, 25))
            effective = max(p.start, decided.plus(-rng.choice((0, 0, 1, 2, 3))))
            if new != old:
                plan.adjustment = (decided, effective, {**main.params, "injury_rate": new})
        elif (
            main.scheme == "BTXH_SINGLE_PARENT_PER_CHILD"
            and main.params["children"] > 1
            and rng.random() < 0.15
        ):
            # A child came of age: one child fewer from next month.
            plan.adjustment = (decided, decided.next(), {"children": int(main.params["children"]) - 1})

    def _plan_collection(self) -> None:
        """Months not collected at the post office: carried over to the next month, or (for the
        planted suspension candidates) never collected."""
        rng, plan, roles = self.rng, self.plan, self.p.roles
        if roles.candidate:
            plan.uncollected = dict.fromkeys(self.pv.months[-3:], FOREVER)
        elif roles.suspend_resume:
            low, high = max(self.start_index, 3), len(self.pv.months) - 9
            first = self.pv.months[rng.randint(low, max(low, high))]
            resumed = first.plus(3 + rng.randint(1, 3))
            plan.uncollected = {first.plus(i): resumed for i in range(3)}
            plan.suspension = (first.plus(3), resumed)
        elif self.channel["type"] == "cash" and roles.late_death is None and self.p.kind != "poor_household":
            plan.uncollected = {m: m.next() for m in self._months_after(0) if rng.random() < 0.02}

    def _plan_one_offs(self) -> None:
        """Gifts for 27 July (NCC), Tết support (households), convalescence at home (NCC)."""
        rng, p = self.rng, self.p
        for m in self._months_after(0):
            if p.kind == "meritorious" and m.month == 7:
                amount = 600_000 if p.card_group == "CC" else 300_000
                params = {"amount": amount, "funding_source": "central", "occasion": "27-7"}
                self._one_off(m, "GIFT", params, "quà của Chủ tịch nước nhân ngày Thương binh - Liệt sĩ 27/7")
            if p.kind == "poor_household" and m.month == 1:
                amount = 1_000_000 if p.poverty_status == "poor" else 500_000
                params = {"amount": amount, "funding_source": "province", "occasion": "tet"}
                self._one_off(m, "HN_TET_SUPPORT", params, "hỗ trợ Tết Nguyên đán cho hộ nghèo, hộ cận nghèo")
        month = self._pick(self._months_after(1))
        if p.kind == "meritorious" and rng.random() < 0.2 and month is not None:
            self._one_off(month, "NCC_CONVALESCENCE_HOME", {}, "điều dưỡng phục hồi sức khỏe tại nhà")

    def _one_off(
        self, month: Month, scheme: str, params: dict[str, Any], reason: str, *, first: bool = False
    ) -> None:
        decided = _day(month, self.rng.randint(1, 3))
        provincial = scheme not in {"HN_TET_SUPPORT", "BTXH_FUNERAL"}
        issuer, number = self.pv.decision(self.rng, self.commune, decided, provincial=provincial)
        grant = _Grant(scheme, params, month, decided, issuer, number, reason)
        queue = self.plan.one_offs.setdefault(month, [])
        if first:
            queue.insert(0, grant)
        else:
            queue.append(grant)

    # ------------------------------------------------------------------ commands

    def grant(self, g: _Grant, when: date, hour: int = 10) -> None:
        moment = self.clock.at(max(when, g.decision), hour, self.rng.randint(0, 59))
        if moment is None:
            return
        ent = self.agg.grant_entitlement(
            self._ctx(moment, g.reason, self.officer),
            scheme=g.scheme,
            effective_from=str(g.effective_from),
            basis=g.basis,
            params=g.params or None,
            rates=self.rates,
        )
        self.eids.append(ent.entitlement_id)
        self.granted_on[ent.entitlement_id] = moment.date()
        self.s.by_scheme[g.scheme] += 1
        self.s.funerals += g.scheme == "BTXH_FUNERAL"

    def issue_card(self, group: str, valid_from: date, when: date) -> None:
        moment = self.clock.at(when, 15, self.rng.randint(0, 59))
        if moment is None:
            return
        number = self.pv.card_number(self.rng, group)
        valid_to = _plus_years(valid_from, 1) - timedelta(days=1)
        ctx = self._ctx(moment, "cấp thẻ BHYT")
        self.agg.issue_card(
            ctx, card_number=number, valid_from=valid_from.isoformat(), valid_to=valid_to.isoformat()
        )
        self.claims.append(UniqueClaim.claim(ctx, "card_number", number, self.p.bid))
        self.cards[number] = valid_to
        self.s.cards_issued += 1

    def revoke_cards(self, ctx: RecordContext, reason: str, ends: date) -> None:
        for number in list(self.cards):
            card = self.agg.cards[number]
            if card.active:
                on = max(ends, card.valid_from)
                self.agg.revoke_card(ctx, number, reason=reason, effective_on=on.isoformat())
                self.s.cards_revoked += 1

    # ------------------------------------------------------------------ a month

    def early(self, m: Month) -> None:
        """Days 1–4: relocations, channel changes, resumptions, adjustments, one-off decisions, cards."""
        plan, rng = self.plan, self.rng
        alive = not self.dead and not self.terminated
        day = _day(m, rng.randint(1, 4))
        if plan.relocation is not None and plan.relocation[0] == m and not self.dead:
            self.relocate(m, day, plan.relocation[1])
        self.changes(m, day, alive=alive)
        if plan.adjustment is not None and plan.adjustment[0] == m and alive and self.eids:
            self.adjust(m, day)
        for g in plan.one_offs.get(m, []):
            if g.scheme == "BTXH_FUNERAL" or alive:
                self.grant(g, g.decision, 8)
        if alive:
            self.renew_cards(m, day)

    def relocate(self, m: Month, day: date, new: Commune) -> None:
        moment = self.clock.at(day, 8, self.rng.randint(0, 59))
        if moment is not None:
            ctx = self._ctx(moment, "chuyển nơi cư trú trong tỉnh", f"case-officer-{new.code}")
            self.agg.relocate(ctx, new.code, new.province_code, str(m))
            self.commune = new
            self.s.relocations += 1

    def changes(self, m: Month, day: date, *, alive: bool) -> None:
        """A switch to a bank account; the resumption of a suspended allowance."""
        plan, rng, agg = self.plan, self.rng, self.agg
        if plan.bank_from == m and alive:
            moment = self.clock.at(day, 9, rng.randint(0, 59))
            if moment is not None:
                self.channel = self.pv.bank_channel(rng)
                agg.change_payment_channel(
                    self._ctx(moment, "đăng ký nhận qua tài khoản"), self.channel, str(m)
                )
                self.s.channel_changes += 1
        if plan.suspension is not None and plan.suspension[1] == m:
            moment = self.clock.at(day, 9, rng.randint(0, 59))
            if moment is not None:
                basis = self._basis(moment.date())
                ctx = self._ctx(moment, "đối tượng trở về địa phương, tiếp tục chi trả", self.officer)
                for eid in self.eids:
                    if agg.entitlements[eid].suspended_now:
                        agg.resume_entitlement(ctx, eid, effective_from=str(m), basis=basis)

    def renew_cards(self, m: Month, day: date) -> None:
        """Cards that run out this month are renewed for a year."""
        for number, valid_to in list(self.cards.items()):
            if Month.of(valid_to) == m and self.agg.cards[number].active:
                moment = self.clock.at(day, 16, self.rng.randint(0, 59))
                if moment is not None:
                    until = _plus_years(valid_to, 1)
                    ctx = self._ctx(moment, "gia hạn thẻ BHYT")
                    self.agg.renew_card(ctx, number, valid_to=until.isoformat())
                    self.cards[number] = until
                    self.s.cards_renewed += 1

    def adjust(self, m: Month, decided: date) -> None:
        assert self.plan.adjustment is not None  # noqa: S101 - called when one is planned
        _, effective, params = self.plan.adjustment
        moment = self.clock.at(decided, 10, self.rng.randint(0, 59))
        if moment is None:
            return
        eid = self.eids[0]
        self.agg.adjust_entitlement(
            self._ctx(moment, "giám định lại / điều chỉnh mức hưởng", self.officer),
            eid,
            effective_from=str(effective),
            params=params,
            basis=self._basis(decided),
            rates=self.rates,
        )
        self.s.adjustments += 1
        # Months already paid at the old amount now owe the difference (truy lĩnh).
        self.open_periods.update((eid, str(period)) for period in months_between(effective, m.previous()))
        rate = params.get("injury_rate")
        if rate is not None and rate >= 81 and self.p.card_group == "CK":
            # From 81 % the card moves to group CC: the old card ends, a new one starts next month.
            reason = "đổi mã quyền lợi CK → CC (tỷ lệ tổn thương từ 81%)"
            self.revoke_cards(self._ctx(moment), reason, _last_day(m))
            self.p.card_group = "CC"
            self.issue_card("CC", m.next().first_day(), moment.date())

    def pay(self, m: Month) -> bool:  # noqa: C901 - the round's rules read best in one place
        """The payment round: the 5th by bank; by cash on the commune's payout day (5–15)."""
        rng, agg = self.rng, self.agg
        is_bank = self.channel["type"] == "bank"
        paid_on = _day(m, 5 if is_bank else self.pv.cash_day(self.commune, m))
        recorded = paid_on if is_bank else paid_on + timedelta(days=rng.randint(0, 2))
        moment = self.clock.at(recorded, 16 if is_bank else rng.randint(9, 16), rng.randint(0, 59))
        if moment is None:
            return False
        ctx = self._ctx(moment, actor=BANK_ACTOR if is_bank else f"payment-officer-{self.commune.code}")
        for eid in self.eids:
            if self.granted_on[eid] > paid_on:
                continue  # decided after the payout day: paid next month, with arrears
            ent = agg.entitlements[eid]
            if ent.scheme.monthly:
                begin = self.opened_until.get(eid, ent.start.previous()).next()
                self.open_periods.update((eid, str(period)) for period in months_between(begin, m))
                self.opened_until[eid] = m
            elif eid not in self.opened_until and ent.start <= m:
                self.open_periods.add((eid, ONE_OFF))
                self.opened_until[eid] = m
        for key in sorted(self.open_periods, key=lambda k: (k[1], self.eids.index(k[0]))):
            eid, period = key
            if period != ONE_OFF:
                release = self.plan.uncollected.get(Month.parse(period))
                if release is not None and m < release:
                    continue  # not collected: carried over to a later payout
            item = agg.due_item(eid, period, self.rates)
            if item.due == 0 or item.outstanding == 0:
                self.open_periods.discard(key)
                continue
            label = period if period != ONE_OFF else str(agg.entitlements[eid].start)
            payment_id = f"{label}-{self.p.short}-{self.eids.index(eid) + 1}"
            if self.payments_for[key]:  # a top-up after an adjustment: arrears paid in month m
                payment_id += f"-TL{m.year % 100:02d}{m.month:02d}"
            how = "bank" if is_bank and not self.dead else "cash"
            reference = (
                f"FT{m.year % 100:02d}{m.month:02d}{rng.randint(10**9, 10**10 - 1)}"
                if how == "bank"
                else f"PC-{self.commune.code}-{m.year}{m.month:02d}-{rng.randint(1, 9999):04d}"
            )
            agg.record_payment(
                ctx,
                payment_id=payment_id,
                entitlement_id=eid,
                period=None if period == ONE_OFF else period,
                amount=item.outstanding,
                paid_on=paid_on.isoformat(),
                rates=self.rates,
                channel=how,
                reference=reference,
            )
            self.claims.append(UniqueClaim.claim(ctx, "payment_id", payment_id, self.p.bid))
            self.payments_for[key] += 1
            self.s.payments += 1
            self.s.amount_paid += item.outstanding
            self.s.bank_payments += how == "bank"
            self.open_periods.discard(key)
        return True

    def late(self, m: Month) -> None:
        """Days 18–28: months not collected, suspensions, deaths, terminations, recoveries."""
        plan = self.plan
        if m in plan.uncollected and not self.dead:
            self.not_collected(m)
        if plan.suspension is not None and plan.suspension[0].previous() == m:
            self.suspend(plan.suspension[0])
        if plan.death_recorded is not None and Month.of(plan.death_recorded) == m and not self.dead:
            self.death()
        if plan.termination == m and not self.dead:
            self.terminate(m)
        if plan.recovery is not None and Month.of(plan.recovery) == m:
            self.recover(plan.recovery)

    def not_collected(self, m: Month) -> None:
        moment = self.clock.at(_day(m, self.rng.randint(24, 27)), 16, self.rng.randint(0, 59))
        if moment is None:
            return
        ctx = self._ctx(moment, "đối tượng không đến nhận", f"payment-officer-{self.commune.code}")
        for eid in self.eids:
            if not self.agg.entitlements[eid].scheme.monthly:
                continue
            item = self.agg.due_item(eid, str(m), self.rates)
            if item.due > 0 and item.paid == 0 and not item.not_collected:
                self.agg.record_not_collected(ctx, entitlement_id=eid, period=str(m), rates=self.rates)
                self.s.not_collected += 1

    def suspend(self, first: Month) -> None:
        moment = self.clock.at(_day(first.previous(), 28), 9, self.rng.randint(0, 59))
        if moment is None:
            return
        basis = self._basis(moment.date())
        ctx = self._ctx(moment, "3 tháng liên tiếp không nhận trợ cấp (TT 02/2021)", self.officer)
        for eid in self.eids:
            ent = self.agg.entitlements[eid]
            if ent.scheme.monthly and ent.in_period(first, self.agg.death_month):
                self.agg.suspend_entitlement(ctx, eid, effective_from=str(first), basis=basis)
        self.s.suspensions += 1

    def death(self) -> None:
        plan, rng = self.plan, self.rng
        assert plan.death is not None and plan.death_recorded is not None  # noqa: S101, PT018
        moment = self.clock.at(plan.death_recorded, 14, rng.randint(0, 59))
        if moment is None:
            return
        late = self.p.roles.late_death is not None
        basis = {
            "decision_no": f"{rng.randint(10, 999)}/TB-UBND",
            "decision_date": moment.date().isoformat(),
            "issuer": self.pv.commune_issuer(self.commune),
        }
        active = sum(1 for card in self.agg.cards.values() if card.active)
        ctx = self._ctx(moment, "báo tử muộn" if late else "gia đình báo tử")
        self.agg.record_death(ctx, date_of_death=plan.death.isoformat(), basis=basis)
        self.s.cards_revoked += active - sum(1 for card in self.agg.cards.values() if card.active)
        self.dead = True
        self.s.deaths += 1
        if late:
            self.s.late_deaths += 1
            self.s.late_death_ids.append(self.p.bid)
        if self.p.kind == "social_assistance":  # mai táng phí, decided early next month
            month = Month.of(plan.death_recorded).next()
            self._one_off(month, "BTXH_FUNERAL", {}, "hỗ trợ chi phí mai táng", first=True)

    def terminate(self, m: Month) -> None:
        decided = _day(m, self.rng.randint(18, 26))
        moment = self.clock.at(decided, 10, self.rng.randint(0, 59))
        if moment is None:
            return
        basis = self._basis(decided)
        if self.p.kind == "poor_household":
            why = "hộ thoát nghèo"
        else:
            why = self.rng.choice(("chuyển khỏi tỉnh", "hưởng lương hưu", "không còn đủ điều kiện"))
        ctx = self._ctx(moment, why, self.officer)
        for eid in self.eids:
            ent = self.agg.entitlements[eid]
            if ent.scheme.monthly and ent.last_month is None:
                self.agg.terminate_entitlement(ctx, eid, last_month=str(m), basis=basis)
        self.revoke_cards(ctx, why, _last_day(m))
        self.terminated = True
        self.s.terminations += 1

    def recover(self, day: date) -> None:
        moment = self.clock.at(day, 15, self.rng.randint(0, 59))
        outstanding = self.agg.overpayment_outstanding(self.rates)
        if moment is None or outstanding <= 0:
            return
        amount = outstanding if self.plan.recovery_in_full else max(1000, outstanding // 2 // 1000 * 1000)
        self.agg.record_recovery(
            self._ctx(moment, "gia đình nộp lại tiền chi sau khi chết"),
            amount=amount,
            method="cash",
            rates=self.rates,
            reference=f"BL-{self.commune.code}-{self.rng.randint(1, 9999):04d}",
        )
        self.s.recoveries += 1
        if amount == outstanding:
            self.s.fully_recovered_ids.append(self.p.bid)


# ------------------------------------------------------------------------------------------------
# Entry point.


def _seed_rates(app: BenefitsLedger, moment: datetime) -> int:
    """Record the packaged reference rates as entered before the ledger opened (so "as of" views see
    them): open the store with ``seed_reference=False`` for that, or they were recorded at opening."""
    original = app.clock
    app.clock = lambda: moment
    try:
        return app.seed_reference_rates()
    finally:
        app.clock = original


def generate_province(
    app: BenefitsLedger,
    *,
    beneficiaries: int = 2000,
    seed: int = 1,
    today: date | None = None,
    province: str | None = None,
    batch_size: int = 100,
    progress: Callable[[int, int], None] | None = None,
) -> SyntheticSummary:
    """Fill ``app``'s store with a synthetic province and return what was written.

    ``today`` (default: the ledger clock's date in Viet Nam) ends the simulation: two years of
    monthly payments up to the month before it; nothing is recorded after the day before ``today``.
    ``province`` defaults to ``LEDGER_PROVINCE`` or 75 (Đồng Nai). The packaged reference rates are
    recorded as of a few days before the first simulated month, unless the store already holds them
    (open it with ``open_ledger(..., seed_reference=False)`` so that "as of" views of the past see
    them). Beneficiaries and their uniqueness
    claims are saved ``batch_size`` people per transaction; ``progress(done, total)`` is called after
    each batch.
    """
    if beneficiaries < 1:
        msg = "beneficiaries must be at least 1"
        raise ValueError(msg)
    started = time.perf_counter()
    position = app.recorder.max_notification_id() or 0
    code = parse_province(province) if province else configured_province() or DEFAULT_PROVINCE
    day = today or app.clock().astimezone(VN_TZ).date()
    first, _ = simulated_months(day)
    before = datetime.combine(first.first_day() - timedelta(days=3), datetime.min.time(), VN_TZ)
    rate_events = _seed_rates(app, before.replace(hour=8))
    pv = _Province(seed=seed, today=day, province=code, rates=app.rates(), count=beneficiaries)
    summary = pv.summary
    summary.rate_events = rate_events
    digest = hashlib.sha256()
    pending: list[LedgerAggregate] = []
    for index in range(beneficiaries):
        person = pv.person(index)
        aggregates = _Story(pv, person).tell()
        summary.beneficiaries += 1
        summary.by_kind[person.kind] += 1
        summary.beneficiary_ids.append(person.bid)
        for aggregate in aggregates:
            for event in aggregate.pending_events:
                if isinstance(event, LedgerAggregate.Event):
                    digest.update(event.event_hash.encode())
        pending.extend(aggregates)
        if (index + 1) % batch_size == 0 or index == beneficiaries - 1:
            _save(app, pending, summary)
            pending = []
            if progress is not None:
                progress(index + 1, beneficiaries)
    summary.events = (app.recorder.max_notification_id() or 0) - position
    summary.fingerprint = digest.hexdigest()
    summary.seconds = time.perf_counter() - started
    return summary


def _save(app: BenefitsLedger, aggregates: list[LedgerAggregate], summary: SyntheticSummary) -> None:
    """One transaction for a batch of beneficiaries and their claims; then a snapshot of each beneficiary
    (a cache the next bulk import loads instead of replaying the two years, see ledger/bulk.py)."""
    for aggregate in aggregates:
        count = len(aggregate.pending_events)
        if isinstance(aggregate, Beneficiary):
            summary.beneficiary_events += count
        else:
            summary.claims += count
    app.save(*aggregates)
    if app.snapshots is not None:
        app.snapshots.put([BeneficiarySnapshot.take(a) for a in aggregates if isinstance(a, Beneficiary)])
