"""The entitlement commands of a beneficiary — grant (quyết định hưởng), adjust (điều chỉnh), suspend
(tạm dừng), resume, terminate (thôi hưởng) — and the record of a death (báo tử).

:class:`EntitlementCommands` is a mixin of :class:`~domain.beneficiary.Beneficiary`; the events it
records are defined there (their stored topics are ``domain.beneficiary:Beneficiary.<Event>``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import uuid5

from domain.catalogue import get_scheme, scheme_components, validate_params
from domain.dues import Dues
from domain.errors import Conflict, InvalidInput
from domain.parts import ELDERLY_80, NAMESPACE_ENTITLEMENT, Entitlement
from domain.person_fields import spoken
from domain.values import Month, basis_date, check_date, parse_basis, parse_date

if TYPE_CHECKING:
    from domain.catalogue import RateBook, Scheme
    from domain.events import RecordContext


class EntitlementCommands(Dues):
    """Grant, adjust, suspend, resume and terminate entitlements; record a death."""

    def grant_entitlement(
        self,
        ctx: RecordContext,
        *,
        scheme: object,
        effective_from: object,
        basis: object,
        params: object = None,
        end_month: object = None,
        rates: RateBook,
    ) -> Entitlement:
        """Grant a scheme by decision (quyết định hưởng). Returns the new entitlement.

        Social assistance starts in the month the decision is signed (not before ``effective_from``;
        for the 80+ group not before the month the person turns 80); NCC from ``effective_from``.
        """
        sch = get_scheme(scheme)
        if not sch.applies_to(self.kind):
            raise InvalidInput("scheme", f"scheme {sch.code} is not for a {self.kind} beneficiary")
        start = Month.parse(effective_from, "effective_from")
        legal = parse_basis(basis)
        checked = validate_params(sch, params)
        if sch.kind == "social_assistance" and sch.monthly:
            signed = basis_date(legal)
            if signed is not None:
                start = max(start, Month.of(signed))
            if sch.code == ELDERLY_80 and self.date_of_birth is not None:
                dob = self.date_of_birth
                start = max(start, Month(dob.year + 80, dob.month))
        end = Month.parse(end_month, "end_month") if end_month is not None else None
        if end is not None and end < start:
            raise InvalidInput("end_month", f"must not be before the start month {start}")
        if sch.rule == "funeral" and self.date_of_death is None:
            raise Conflict("a funeral allowance needs the death to be recorded first", "scheme")
        if sch.monthly:
            self._require_alive("grant of a monthly scheme")
        self._check_first_payable_month(start, legal, effective_from)
        self._check_held_once(sch, start, end, checked)
        self._check_requirement(sch, start)
        entitlement_id = str(uuid5(NAMESPACE_ENTITLEMENT, f"{self.id}:{len(self.entitlements) + 1}"))
        ent = Entitlement(entitlement_id, sch.code, start, end, legal, None, [(start, checked)])
        # Evaluate once so that a rule that cannot be computed (no rate in force) is refused now.
        _, province = self.commune_at(start)
        scheme_components(sch, checked, start, rates, province, self.death_month)
        self.record(
            self.EntitlementGranted,
            ctx,
            basis=legal,
            occurred_on=basis_date(legal) or ctx.today,
            entitlement_id=entitlement_id,
            scheme=sch.code,
            start_month=str(start),
            end_month=str(end) if end else None,
            params=checked,
        )
        return self.entitlements[ent.entitlement_id]

    MAX_MONTHS_AFTER_DECISION = 12

    def _check_first_payable_month(self, start: Month, legal: dict[str, str] | None, asked: object) -> None:
        """A grant whose first payable month the ledger's own rules put more than 12 months after its
        decision is refused: it is a mistake (a person of 70 granted the 80+ scheme would silently start
        at 80). A month the officer names is kept as asked: moving a province's old decisions onto the
        ledger grants them from the ledger's first month, years after they were signed."""
        signed = basis_date(legal)
        if signed is None or str(Month.parse(asked, "effective_from")) == str(start):
            return
        decided = Month.of(signed)
        if start.ordinal - decided.ordinal > self.MAX_MONTHS_AFTER_DECISION:
            msg = (
                f"the first payable month would be {start} (the person turns 80 then), more than "
                f"{self.MAX_MONTHS_AFTER_DECISION} months after the decision of {signed.isoformat()}; "
                "grant it when it applies"
            )
            raise InvalidInput("effective_from", msg)

    def _check_held_once(self, sch: Scheme, start: Month, end: Month | None, params: dict[str, Any]) -> None:
        """Never twice per person (schemes.csv ``once_per``): one running entitlement of a monthly scheme
        at a time; a one-off once in its scope (a lifetime, a year, a year and occasion and source)."""
        others = [e for e in self.entitlements.values() if e.scheme_code == sch.code and not e.cancelled]
        scope = sch.scope_of(start, params)
        for other in others:
            if scope is None:
                other_stop = other.stop_month(self.death_month)
                overlaps = (end is None or other.start <= end) and (other_stop is None or start < other_stop)
                if overlaps:
                    msg = (
                        f"{sch.code} is already running for this person from {other.start} (entitlement "
                        f"{other.entitlement_id}): adjust that entitlement instead"
                    )
                    raise Conflict(msg, "scheme")
            elif sch.scope_of(other.start, other.params_for(other.start)) == scope:
                where = f" ({', '.join(f'{k} {v}' for k, v in zip(sch.once_per, scope, strict=False))})"
                msg = (
                    f"{sch.code} is already granted to this person{where if scope else ''} "
                    f"(entitlement {other.entitlement_id}, from {other.start}); it is held "
                    f"once per {spoken(sch.once_per)}"
                )
                raise Conflict(msg, "scheme")

    def _check_requirement(self, sch: Scheme, start: Month) -> None:
        """Who may hold the scheme (schemes.csv ``requires``), e.g. holiday meal money only for an invalid
        or a sick soldier from 81%."""
        need = sch.requirement()
        if need is None:
            return
        schemes, parameter, minimum = need
        for ent in self.entitlements.values():
            if ent.scheme_code in schemes and self._running(ent, start):
                value = ent.params_for(start).get(parameter, 0) if parameter else minimum
                if isinstance(value, int) and value >= minimum:
                    return
        condition = f" with {parameter} ≥ {minimum}" if parameter else ""
        msg = f"{sch.code} is only for a person holding {' or '.join(schemes)}{condition} in {start}"
        raise Conflict(msg, "scheme")

    def adjust_entitlement(
        self,
        ctx: RecordContext,
        entitlement_id: object,
        *,
        effective_from: object,
        params: object,
        basis: object,
        rates: RateBook,
    ) -> None:
        """Change an entitlement's parameters from a month (điều chỉnh); past months produce arrears."""
        ent = self.entitlement(entitlement_id)
        month = Month.parse(effective_from, "effective_from")
        legal = parse_basis(basis)
        if not ent.scheme.monthly:
            raise Conflict("a one-off entitlement cannot be adjusted", "entitlement_id")
        if month < ent.start:
            raise InvalidInput("effective_from", f"must not be before the entitlement's start {ent.start}")
        stop = ent.stop_month(self.death_month)
        if stop is not None and month >= stop:
            raise Conflict(f"the entitlement stopped from {stop}", "effective_from")
        checked = validate_params(ent.scheme, params)
        scheme_components(ent.scheme, checked, month, rates, self.commune_at(month)[1])
        self._record_change(
            self.EntitlementAdjusted, ctx, ent, legal, occurred_on=basis_date(legal),
            effective_from=str(month), params=checked,
        )  # fmt: skip

    def suspend_entitlement(
        self, ctx: RecordContext, entitlement_id: object, *, effective_from: object, basis: object = None
    ) -> None:
        """Suspend payment from a month (tạm dừng)."""
        ent, month, legal = self._change_from(entitlement_id, effective_from, basis)
        if not ent.scheme.monthly:
            raise Conflict("a one-off entitlement cannot be suspended", "entitlement_id")
        if ent.suspended_now:
            raise Conflict("the entitlement is already suspended", "entitlement_id")
        if not ent.in_period(month, self.death_month):
            raise Conflict(f"the entitlement is not running in {month}", "effective_from")
        if (
            ent.suspensions
            and ent.suspensions[-1][1] is not None
            and month < (ent.suspensions[-1][1] or month)
        ):
            raise InvalidInput("effective_from", "must not be before the last resumption")
        self._record_change(self.EntitlementSuspended, ctx, ent, legal, effective_from=str(month))

    def resume_entitlement(
        self, ctx: RecordContext, entitlement_id: object, *, effective_from: object, basis: object = None
    ) -> None:
        """Resume payment from a month (tiếp tục chi trả)."""
        ent, month, legal = self._change_from(entitlement_id, effective_from, basis)
        if not ent.suspended_now:
            raise Conflict("the entitlement is not suspended", "entitlement_id")
        self._require_alive("resumption")
        if month <= ent.suspensions[-1][0]:
            raise InvalidInput(
                "effective_from", f"must be after the suspension month {ent.suspensions[-1][0]}"
            )
        self._record_change(self.EntitlementResumed, ctx, ent, legal, effective_from=str(month))

    def terminate_entitlement(
        self, ctx: RecordContext, entitlement_id: object, *, last_month: object, basis: object
    ) -> None:
        """Stop an entitlement after ``last_month`` (thôi hưởng). Months paid after it become overpayments."""
        ent = self.entitlement(entitlement_id)
        month = Month.parse(last_month, "last_month")
        legal = parse_basis(basis)
        if ent.last_month is not None:
            raise Conflict(f"the entitlement was already terminated after {ent.last_month}", "entitlement_id")
        if month < ent.start.previous():
            raise InvalidInput(
                "last_month", f"must not be before {ent.start.previous()} (the start is {ent.start})"
            )
        self._record_change(
            self.EntitlementTerminated, ctx, ent, legal, occurred_on=basis_date(legal), last_month=str(month)
        )

    def _change_from(
        self, entitlement_id: object, effective_from: object, basis: object
    ) -> tuple[Entitlement, Month, dict[str, str] | None]:
        """The entitlement, month and (optional) legal basis a suspension or resumption names."""
        ent = self.entitlement(entitlement_id)
        return ent, Month.parse(effective_from, "effective_from"), parse_basis(basis, required=False)

    def _record_change(
        self, event_class: type[Any], ctx: RecordContext, ent: Entitlement, legal: object, **data: Any
    ) -> None:
        """Record a change of ``ent`` under its legal basis (``None`` when the change needs none)."""
        self.record(event_class, ctx, basis=legal, entitlement_id=ent.entitlement_id, **data)

    def record_death(self, ctx: RecordContext, *, date_of_death: object, basis: object = None) -> None:
        """Record a death (báo tử): payments stop from the next month; open cards end on the date of death."""
        died = parse_date(date_of_death, "date_of_death")
        legal = parse_basis(basis, required=False)
        self._require_alive("death")
        check_date(died, "date_of_death", ctx.today, not_after_today=True)
        if self.date_of_birth is not None and died < self.date_of_birth:
            raise InvalidInput("date_of_death", "must not be before the date of birth")
        self.record(self.DeathRecorded, ctx, basis=legal, occurred_on=died, date_of_death=died)
        for card in list(self.cards.values()):
            if card.active:
                self.record(
                    self.HealthInsuranceCardRevoked,
                    ctx,
                    reason="death",
                    occurred_on=died,
                    card_number=card.card_number,
                    effective_on=died,
                )
