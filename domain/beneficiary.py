"""The beneficiary aggregate — đối tượng hưởng chính sách — and its event stream.

One append-only stream per beneficiary: registration, corrections, relocations, entitlements (chế độ)
and their decisions, payments (chi trả), non-collection, reversals, recoveries (thu hồi), death, and
health-insurance cards (thẻ BHYT). The aggregate enforces the rules of DESIGN §3 that concern one
beneficiary and computes what is due for any month with the rates passed in (no clock, no database).

The aggregate is assembled from parts, one module each: the state's values (``domain/parts.py``), the
validation of registered details (``domain/person_fields.py``), the queries of what is due
(``domain/dues.py``) and the commands on entitlements, payments and cards
(``domain/entitlement_commands.py``, ``domain/payment_commands.py``, ``domain/card_commands.py``). The
events stay nested here: their stored topics are ``domain.beneficiary:Beneficiary.<Event>``, and a
snapshot's is ``domain.beneficiary:Beneficiary``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from domain.card_commands import CardCommands
from domain.catalogue import KINDS
from domain.entitlement_commands import EntitlementCommands
from domain.errors import Conflict, InvalidInput
from domain.events import LedgerAggregate, RecordContext
from domain.parts import (
    ELDERLY_80,
    NAMESPACE_ENTITLEMENT,
    ONE_OFF,
    RECOVERY_METHODS,
    REFUND,
    SUSPENSION_RUN,
    Card,
    DueItem,
    Entitlement,
    Payment,
    in_force,
    period_key,
)
from domain.payment_commands import PaymentCommands
from domain.person_fields import CORRECTABLE, validate_members
from domain.values import (
    Month,
    parse_citizen_id,
    parse_commune_code,
    parse_date,
    parse_identifier,
    parse_payment_channel,
    parse_text,
)

if TYPE_CHECKING:
    from uuid import UUID

__all__ = [
    "ELDERLY_80",
    "NAMESPACE_ENTITLEMENT",
    "ONE_OFF",
    "RECOVERY_METHODS",
    "REFUND",
    "SUSPENSION_RUN",
    "Beneficiary",
    "Card",
    "DueItem",
    "Entitlement",
    "Payment",
    "in_force",
    "period_key",
]


class Beneficiary(EntitlementCommands, PaymentCommands, CardCommands, LedgerAggregate):
    """One beneficiary's stream: a person (NCC, BTXH) or a poor household with members."""

    # ----------------------------------------------------------------------------- events

    class BeneficiaryRegistered(LedgerAggregate.Created):
        """BeneficiaryRegistered — đăng ký đối tượng."""

        kind: str
        full_name: str
        citizen_id: str | None
        commune_code: str
        province_code: str
        date_of_birth: date | None
        sex: str | None
        household_code: str | None
        poverty_status: str | None
        members: list[dict[str, Any]]
        payment_channel: dict[str, str]

    class DetailsCorrected(LedgerAggregate.Event):
        """DetailsCorrected — đính chính thông tin."""

        changes: dict[str, Any]

        def apply(self, agg: Beneficiary) -> None:
            for key, value in self.changes.items():
                if key == "date_of_birth":
                    agg.date_of_birth = date.fromisoformat(value) if value else None
                else:
                    setattr(agg, key, value)

    class Relocated(LedgerAggregate.Event):
        """Relocated — chuyển nơi cư trú sang xã khác, từ một tháng."""

        commune_code: str
        province_code: str
        effective_from: str

        def apply(self, agg: Beneficiary) -> None:
            agg.communes.append((Month.parse(self.effective_from), self.commune_code, self.province_code))
            agg.communes.sort(key=lambda c: c[0])

    class PaymentChannelChanged(LedgerAggregate.Event):
        """PaymentChannelChanged — đổi hình thức chi trả (tiền mặt ⇄ tài khoản)."""

        payment_channel: dict[str, str]
        effective_from: str

        def apply(self, agg: Beneficiary) -> None:
            agg.channels.append((Month.parse(self.effective_from), dict(self.payment_channel)))
            agg.channels.sort(key=lambda c: c[0])

    class EntitlementGranted(LedgerAggregate.Event):
        """EntitlementGranted — quyết định hưởng chế độ."""

        entitlement_id: str
        scheme: str
        start_month: str
        end_month: str | None
        params: dict[str, Any]

        def apply(self, agg: Beneficiary) -> None:
            start = Month.parse(self.start_month)
            agg.entitlements[self.entitlement_id] = Entitlement(
                entitlement_id=self.entitlement_id,
                scheme_code=self.scheme,
                start=start,
                end=Month.parse(self.end_month) if self.end_month else None,
                basis=self.basis,
                granted_on=self.occurred_on,
                params_history=[(start, dict(self.params))],
            )

    class EntitlementAdjusted(LedgerAggregate.Event):
        """EntitlementAdjusted — điều chỉnh mức hưởng từ một tháng."""

        entitlement_id: str
        effective_from: str
        params: dict[str, Any]

        def apply(self, agg: Beneficiary) -> None:
            ent = agg.entitlements[self.entitlement_id]
            month = Month.parse(self.effective_from)
            ent.params_history = [p for p in ent.params_history if p[0] != month]
            ent.params_history.append((month, dict(self.params)))
            ent.params_history.sort(key=lambda p: p[0])

    class EntitlementSuspended(LedgerAggregate.Event):
        """EntitlementSuspended — tạm dừng chi trả."""

        entitlement_id: str
        effective_from: str

        def apply(self, agg: Beneficiary) -> None:
            agg.entitlements[self.entitlement_id].suspensions.append((Month.parse(self.effective_from), None))

    class EntitlementResumed(LedgerAggregate.Event):
        """EntitlementResumed — tiếp tục chi trả."""

        entitlement_id: str
        effective_from: str

        def apply(self, agg: Beneficiary) -> None:
            ent = agg.entitlements[self.entitlement_id]
            start, _ = ent.suspensions[-1]
            ent.suspensions[-1] = (start, Month.parse(self.effective_from))

    class EntitlementTerminated(LedgerAggregate.Event):
        """EntitlementTerminated — thôi hưởng; ``last_month`` is the last month paid."""

        entitlement_id: str
        last_month: str

        def apply(self, agg: Beneficiary) -> None:
            agg.entitlements[self.entitlement_id].last_month = Month.parse(self.last_month)

    class DeathRecorded(LedgerAggregate.Event):
        """DeathRecorded — báo tử; payment stops from the month after death."""

        date_of_death: date

        def apply(self, agg: Beneficiary) -> None:
            agg.date_of_death = self.date_of_death
            # the UTC day of the stored timestamp, as replayed since the first snapshot: deriving Vietnam's
            # day here would make old snapshots disagree with their replay (ledger verify)
            agg.death_recorded_on = self.timestamp.date()

    class PaymentRecorded(LedgerAggregate.Event):
        """PaymentRecorded — đã chi trả."""

        payment_id: str
        entitlement_id: str
        period: str
        amount: int
        paid_on: date
        channel: str
        reference: str

        def apply(self, agg: Beneficiary) -> None:
            agg.payments[self.payment_id] = Payment(
                payment_id=self.payment_id,
                entitlement_id=self.entitlement_id,
                period=self.period,
                amount=self.amount,
                paid_on=self.paid_on,
                channel=self.channel,
                reference=self.reference,
            )
            key = (self.entitlement_id, self.period)
            agg.paid[key] = agg.paid.get(key, 0) + self.amount

    class PaymentNotCollected(LedgerAggregate.Event):
        """PaymentNotCollected — đối tượng không đến nhận; carried over to the next roster."""

        entitlement_id: str
        period: str

        def apply(self, agg: Beneficiary) -> None:
            agg.not_collected.add((self.entitlement_id, self.period))

    class PaymentReversed(LedgerAggregate.Event):
        """PaymentReversed — hủy một lần chi trả ghi nhầm."""

        payment_id: str

        def apply(self, agg: Beneficiary) -> None:
            payment = agg.payments[self.payment_id]
            payment.reversed = True
            key = (payment.entitlement_id, payment.period)
            agg.paid[key] -= payment.amount

    class OverpaymentRecovered(LedgerAggregate.Event):
        """OverpaymentRecovered — thu hồi tiền chi sai (nộp tiền mặt hoặc khấu trừ)."""

        recovery_id: str
        amount: int
        method: str
        reference: str

        def apply(self, agg: Beneficiary) -> None:
            agg.recovered += -self.amount if self.method == REFUND else self.amount
            agg.recoveries.append(
                {
                    "recovery_id": self.recovery_id,
                    "amount": self.amount,
                    "method": self.method,
                    "reference": self.reference,
                    "recorded_on": self.occurred_on,
                }
            )

    class OverpaymentDeducted(LedgerAggregate.Event):
        """OverpaymentDeducted — thu hồi bằng khấu trừ: money withheld from an amount still owed to the
        beneficiary (an arrears month, a one-off such as the funeral allowance, a carried-over month) to
        repay an overpayment; that item is owed less by the same amount, so nothing is paid twice."""

        recovery_id: str
        amount: int
        entitlement_id: str
        period: str
        reference: str

        def apply(self, agg: Beneficiary) -> None:
            agg.recovered += self.amount
            key = (self.entitlement_id, self.period)
            agg.withheld[key] = agg.withheld.get(key, 0) + self.amount
            agg.recoveries.append(
                {
                    "recovery_id": self.recovery_id,
                    "amount": self.amount,
                    "method": "deduction",
                    "reference": self.reference,
                    "recorded_on": self.occurred_on,
                    "entitlement_id": self.entitlement_id,
                    "period": self.period,
                }
            )

    class HealthInsuranceCardIssued(LedgerAggregate.Event):
        """HealthInsuranceCardIssued — cấp thẻ BHYT."""

        card_number: str
        valid_from: date
        valid_to: date | None

        def apply(self, agg: Beneficiary) -> None:
            agg.cards[self.card_number] = Card(self.card_number, self.valid_from, self.valid_to)

    class HealthInsuranceCardRenewed(LedgerAggregate.Event):
        """HealthInsuranceCardRenewed — gia hạn thẻ BHYT."""

        card_number: str
        valid_to: date

        def apply(self, agg: Beneficiary) -> None:
            agg.cards[self.card_number].valid_to = self.valid_to

    class HealthInsuranceCardRevoked(LedgerAggregate.Event):
        """HealthInsuranceCardRevoked — thu hồi / chấm dứt thẻ BHYT."""

        card_number: str
        effective_on: date

        def apply(self, agg: Beneficiary) -> None:
            card = agg.cards[self.card_number]
            card.revoked_on = self.effective_on
            card.revoke_reason = self.reason

    # ----------------------------------------------------------------------------- state

    def __init__(
        self,
        kind: str,
        full_name: str,
        citizen_id: str | None,
        commune_code: str,
        province_code: str,
        date_of_birth: date | None,
        sex: str | None,
        household_code: str | None,
        poverty_status: str | None,
        members: list[dict[str, Any]],
        payment_channel: dict[str, str],
    ) -> None:
        self.kind = kind
        self.full_name = full_name
        self.citizen_id = citizen_id
        self.date_of_birth = date_of_birth
        self.sex = sex
        self.household_code = household_code
        self.poverty_status = poverty_status
        self.members = list(members)
        first = Month(1945, 1)
        self.communes: list[tuple[Month, str, str]] = [(first, commune_code, province_code)]
        self.channels: list[tuple[Month, dict[str, str]]] = [(first, dict(payment_channel))]
        self.entitlements: dict[str, Entitlement] = {}
        self.payments: dict[str, Payment] = {}
        self.paid: dict[tuple[str, str], int] = {}
        self.not_collected: set[tuple[str, str]] = set()
        self.recovered = 0
        self.recoveries: list[dict[str, Any]] = []
        self.withheld: dict[tuple[str, str], int] = {}
        self.cards: dict[str, Card] = {}
        self.date_of_death: date | None = None
        self.death_recorded_on: date | None = None

    @classmethod
    def register(
        cls,
        ctx: RecordContext,
        *,
        beneficiary_id: UUID,
        kind: object,
        full_name: object,
        commune_code: object,
        province_code: str,
        citizen_id: object = None,
        date_of_birth: object = None,
        sex: object = None,
        household_code: object = None,
        poverty_status: object = None,
        members: object = None,
        payment_channel: object = None,
    ) -> Beneficiary:
        """Register a beneficiary (đăng ký đối tượng), validating every field."""
        if kind not in KINDS:
            raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
        name = parse_text(full_name, "full_name", max_length=200)
        commune = parse_commune_code(commune_code)
        today = ctx.today
        dob = (
            parse_date(date_of_birth, "date_of_birth", today=today, not_after_today=True)
            if date_of_birth is not None
            else None
        )
        if sex is not None and sex not in {"male", "female"}:
            raise InvalidInput("sex", f"must be 'male' or 'female', got {sex!r}")
        cid: str | None = None
        if citizen_id is not None or kind != "poor_household":
            if citizen_id is None:
                raise InvalidInput("citizen_id", f"is required for kind {kind}")
            cid = parse_citizen_id(citizen_id, date_of_birth=dob, sex=sex if isinstance(sex, str) else None)
        hh_code: str | None = None
        status: str | None = None
        if kind == "poor_household":
            hh_code = parse_identifier(household_code, "household_code", max_length=50)
            if poverty_status not in {"poor", "near_poor"}:
                raise InvalidInput("poverty_status", f"must be 'poor' or 'near_poor', got {poverty_status!r}")
            status = str(poverty_status)
        elif household_code is not None or poverty_status is not None:
            field_name = "household_code" if household_code is not None else "poverty_status"
            raise InvalidInput(field_name, "applies only to kind poor_household")
        return cls._create(
            cls.BeneficiaryRegistered,
            id=beneficiary_id,
            actor=ctx.actor,
            timestamp=ctx.recorded_at,
            occurred_on=ctx.today,
            reason=ctx.reason,
            kind=kind,
            full_name=name,
            citizen_id=cid,
            commune_code=commune,
            province_code=province_code,
            date_of_birth=dob,
            sex=sex,
            household_code=hh_code,
            poverty_status=status,
            members=validate_members(members),
            payment_channel=parse_payment_channel(payment_channel),
        )

    # ----------------------------------------------------------------------------- commands
    # (queries: domain/dues.py; entitlements, payments, cards: domain/*_commands.py)

    def correct_details(self, ctx: RecordContext, changes: dict[str, Any]) -> dict[str, Any]:
        """Correct registered details (đính chính): name, date of birth, sex, citizen ID, household data."""
        if not changes:
            raise InvalidInput("changes", "name at least one field to correct")
        out: dict[str, Any] = {}
        for key, value in changes.items():
            parser = CORRECTABLE.get(key)
            if parser is None:
                raise InvalidInput(key, "cannot be corrected this way")
            out[key] = parser(value)
        # The citizen ID encodes the birth year and sex: after the correction they must still agree.
        cid = out.get("citizen_id", self.citizen_id)
        if cid and {"citizen_id", "date_of_birth", "sex"} & out.keys():
            dob = date.fromisoformat(out["date_of_birth"]) if "date_of_birth" in out else self.date_of_birth
            named = "citizen_id" if "citizen_id" in out else None
            parse_citizen_id(cid, named or "date_of_birth", date_of_birth=dob)
            parse_citizen_id(cid, named or "sex", sex=out.get("sex", self.sex))
        if not ctx.reason:
            raise InvalidInput("reason", "a correction needs a reason")
        self.record(self.DetailsCorrected, ctx, changes=out)
        return out

    def relocate(
        self, ctx: RecordContext, commune_code: object, province_code: str, effective_from: object
    ) -> None:
        """Move to another commune from a month (chuyển xã)."""
        self._require_alive("relocation")
        commune = parse_commune_code(commune_code)
        month = Month.parse(effective_from, "effective_from")
        if commune == self.commune_at(month)[0]:
            raise Conflict(f"the beneficiary already lives in commune {commune} in {month}", "commune_code")
        self.record(
            self.Relocated, ctx, commune_code=commune, province_code=province_code, effective_from=str(month)
        )

    def change_payment_channel(
        self, ctx: RecordContext, payment_channel: object, effective_from: object
    ) -> None:
        """Switch between cash at the post office and a bank account (đổi hình thức nhận)."""
        channel = parse_payment_channel(payment_channel)
        month = Month.parse(effective_from, "effective_from")
        if channel == self.channel_at(month):
            raise Conflict("the payment channel is already the one given", "payment_channel")
        self.record(self.PaymentChannelChanged, ctx, payment_channel=channel, effective_from=str(month))
