"""One person's two years in the synthetic province, told through the aggregate's own commands:
grants, payment rounds, months not collected, suspensions, deaths (some reported late), recoveries,
terminations, adjustments with arrears, relocations and health-insurance cards."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.beneficiary import ONE_OFF, Beneficiary
from domain.events import LedgerAggregate, RecordContext
from domain.indexes import UniqueClaim
from domain.values import Month, months_between
from ledger.demo.population import DEATH_RISK, INJURY_SCHEMES, Grant
from ledger.demo.timeline import FOREVER, StreamClock, day_in, last_day, plus_years

if TYPE_CHECKING:
    from ledger.adapters.communes import Commune
    from ledger.demo.population import Person, Province

BANK_ACTOR = "bank-import"
PROVINCE_ACTOR = "province-officer"


@dataclass
class Plan:
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
    one_offs: dict[Month, list[Grant]] = field(default_factory=dict)


class Story:
    def __init__(self, province: Province, person: Person) -> None:
        self.pv = province
        self.p = person
        self.rng = person.rng
        self.rates = province.rates
        self.s = province.summary
        self.clock = StreamClock(province.cutoff)
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
        self.plan = Plan()
        self.start_index = province.month_index[person.start]
        if person.existing:
            self.registered_on = day_in(province.first_month, self.rng.randint(1, 4))
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
            plan.death = day_in(died_in, rng.randint(1, 26))
            plan.death_recorded = day_in(died_in.plus(late), rng.randint(20, 27))
            if roles.late_death % 2 == 0:
                plan.recovery = day_in(died_in.plus(late + 1), rng.randint(18, 27))
                plan.recovery_in_full = roles.late_death % 4 == 0
            return
        if roles.any:
            return
        if self.p.kind != "poor_household":
            risk = DEATH_RISK.get(self.p.group, DEATH_RISK.get(self.p.kind, 0.005))
            dies = self._pick(self._months_after(1))
            if rng.random() < risk and dies is not None:
                plan.death = day_in(dies, rng.randint(1, 25))
                plan.death_recorded = min(last_day(dies), plan.death + timedelta(days=rng.randint(1, 8)))
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
        decided = day_in(month, self.rng.randint(1, 3))
        provincial = scheme not in {"HN_TET_SUPPORT", "BTXH_FUNERAL"}
        issuer, number = self.pv.decision(self.rng, self.commune, decided, provincial=provincial)
        grant = Grant(scheme, params, month, decided, issuer, number, reason)
        queue = self.plan.one_offs.setdefault(month, [])
        if first:
            queue.insert(0, grant)
        else:
            queue.append(grant)

    # ------------------------------------------------------------------ commands

    def grant(self, g: Grant, when: date, hour: int = 10) -> None:
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
        valid_to = plus_years(valid_from, 1) - timedelta(days=1)
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
        day = day_in(m, rng.randint(1, 4))
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
                    until = plus_years(valid_to, 1)
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
            self.revoke_cards(self._ctx(moment), reason, last_day(m))
            self.p.card_group = "CC"
            self.issue_card("CC", m.next().first_day(), moment.date())

    def pay(self, m: Month) -> bool:  # noqa: C901 - the round's rules read best in one place
        """The payment round: the 5th by bank; by cash on the commune's payout day (5–15)."""
        rng, agg = self.rng, self.agg
        is_bank = self.channel["type"] == "bank"
        paid_on = day_in(m, 5 if is_bank else self.pv.cash_day(self.commune, m))
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
        moment = self.clock.at(day_in(m, self.rng.randint(24, 27)), 16, self.rng.randint(0, 59))
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
        moment = self.clock.at(day_in(first.previous(), 28), 9, self.rng.randint(0, 59))
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
        decided = day_in(m, self.rng.randint(18, 26))
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
        self.revoke_cards(ctx, why, last_day(m))
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
