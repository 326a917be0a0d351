"""The people of the synthetic province: who they are (kind, group, commune, identity, household), the
decisions that grant their schemes, and the planted exceptions they carry."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.values import CITIZEN_ID_PROVINCES, Month, months_between
from ledger.adapters.communes import Commune, communes_of
from ledger.demo.names import FAMILY_NAMES, draw_name, weighted
from ledger.demo.summary import SyntheticSummary
from ledger.demo.timeline import VN_TZ, WINDOW_MONTHS, day_in, plus_years, simulated_months

if TYPE_CHECKING:
    from domain.catalogue import RateBook

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


@dataclass
class Grant:
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
class Roles:
    """The planted exceptions a person carries."""

    late_death: int | None = None  # index among late deaths: even → a recovery follows, %4 == 0 → in full
    candidate: bool = False  # the last three months not collected
    suspend_resume: bool = False  # three months not collected, suspended, later resumed

    @property
    def any(self) -> bool:
        return self.late_death is not None or self.candidate or self.suspend_resume


@dataclass
class Person:
    index: int
    rng: random.Random
    bid: UUID
    short: str
    kind: str
    group: str
    commune: Commune
    existing: bool
    roles: Roles
    start: Month
    full_name: str = ""
    citizen_id: str | None = None
    dob: date | None = None
    sex: str | None = None
    household_code: str | None = None
    poverty_status: str | None = None
    members: list[dict[str, Any]] = field(default_factory=list)
    channel: dict[str, str] = field(default_factory=lambda: {"type": "cash"})
    grants: list[Grant] = field(default_factory=list)
    card_group: str = ""


# The province: who lives where, and the people's identities.


class Province:
    def __init__(
        self,
        *,
        seed: int,
        today: date,
        province: str,
        rates: RateBook,
        count: int,
        months: int = WINDOW_MONTHS,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - a simulation, not secrets
        self.today = today
        self.rates = rates
        self.count = count
        self.first_month, self.last_month = simulated_months(today, months)
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

    def _assign_roles(self) -> list[tuple[str, bool, Roles]]:
        """Kinds in the report's proportions (stratified), who was already paid when the ledger
        opened, and the people who carry the planted exceptions."""
        n = self.count
        n_hn = max(1, round(n * KIND_SHARES["poor_household"])) if n >= 10 else 0
        n_ncc = max(1, round(n * KIND_SHARES["meritorious"])) if n >= 5 else 0
        kinds = ["poor_household"] * n_hn + ["meritorious"] * n_ncc
        kinds += ["social_assistance"] * (n - len(kinds))
        self.rng.shuffle(kinds)
        existing = [self.rng.random() < 0.65 for _ in range(n)]
        plans = [(k, e, Roles()) for k, e in zip(kinds, existing, strict=True)]
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

    def person(self, index: int) -> Person:
        kind, existing, roles = self.roles[index]
        rng = random.Random(f"{self.seed}/person/{index}")  # noqa: S311 - simulation, not secrets
        bid, short = self.new_id(rng)
        commune = rng.choices(self.communes, weights=self.commune_weights)[0]
        groups = {"social_assistance": BTXH_GROUPS, "meritorious": NCC_GROUPS}
        group = weighted(rng, groups[kind]) if kind in groups else "household"
        existing = existing or roles.any
        start = self.first_month if existing else self.months[rng.randint(1, len(self.months) - 1)]
        p = Person(index, rng, bid, short, kind, group, commune, existing, roles, start)
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

    def _individual(self, p: Person) -> None:
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
        while p.existing and threshold is not None and plus_years(p.dob, threshold) > opened:
            p.dob = p.dob.replace(year=p.dob.year - 1)  # already eligible when the ledger opened
        p.full_name = draw_name(rng, p.sex, young=p.dob.year >= 1995)
        p.citizen_id = self.citizen_id(rng, p.dob, p.sex)

    def _household(self, p: Person) -> None:
        rng = p.rng
        self.household_serial += 1
        p.poverty_status = "poor" if rng.random() < 0.55 else "near_poor"
        prefix = "HN" if p.poverty_status == "poor" else "CN"
        p.household_code = f"{prefix}-{p.commune.code}-{self.household_serial:04d}"
        size = rng.choices((2, 3, 4, 5, 6), weights=(20, 30, 28, 15, 7))[0]
        head_sex = "male" if rng.random() < 0.7 else "female"
        head_dob = self.birth(rng, 28, 70)
        family = weighted(rng, FAMILY_NAMES)
        people = [(draw_name(rng, head_sex, family=family), head_dob, head_sex, "chủ hộ")]
        if rng.random() < 0.8:
            sex = "female" if head_sex == "male" else "male"
            dob = date(max(1940, head_dob.year + rng.randint(-6, 4)), rng.randint(1, 12), rng.randint(1, 28))
            people.append((draw_name(rng, sex), dob, sex, "vợ" if head_sex == "male" else "chồng"))
        while len(people) < size:
            sex = rng.choice(("male", "female"))
            if rng.random() < 0.15 and head_dob.year > 1965:
                dob = date(head_dob.year - rng.randint(20, 32), rng.randint(1, 12), rng.randint(1, 28))
                people.append((draw_name(rng, sex), dob, sex, "cha" if sex == "male" else "mẹ"))
                continue
            year = min(self.first_month.year - 1, head_dob.year + rng.randint(20, 38))
            dob = date(year, rng.randint(1, 12), rng.randint(1, 28))
            child_family = family if head_sex == "male" else weighted(rng, FAMILY_NAMES)
            people.append((draw_name(rng, sex, young=year >= 1995, family=child_family), dob, sex, "con"))
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

    def _grants(self, p: Person) -> None:
        rng = p.rng
        if p.existing:
            # Paid under an older decision when the ledger opened: the ledger pays from its first month.
            oldest = date(2016, 1, 1)
            if p.dob is not None and p.group == "elderly80":
                oldest = max(oldest, plus_years(p.dob, 80))
            if p.dob is not None and p.group == "youth":
                oldest = max(oldest, plus_years(p.dob, 16))
            latest = self.first_month.first_day() - timedelta(days=20)
            decided = oldest + timedelta(days=rng.randint(0, max(0, (latest - oldest).days)))
            effective = self.first_month
            reason = f"hồ sơ đang hưởng khi mở sổ; chi trả trên sổ từ {self.first_month}"
        else:
            decided = day_in(p.start, rng.randint(1, 20))
            effective = p.start
            if p.kind == "meritorious" and rng.random() < 0.35:  # effective in the past: truy lĩnh
                effective = max(self.first_month, p.start.plus(-rng.randint(1, 3)))
            reason = "hồ sơ mới"
        issuer, number = self.decision(rng, p.commune, decided, provincial=p.kind == "meritorious")
        for scheme, params in self._schemes(p, decided):
            p.grants.append(Grant(scheme, params, effective, decided, issuer, number, reason))
        p.card_group = self._card_group(p)

    def _schemes(self, p: Person, decided: date) -> list[tuple[str, dict[str, Any]]]:
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
    def _card_group(p: Person) -> str:
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
