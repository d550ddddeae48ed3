"""Today: where the patient is in the cycle, the doses due with how they were logged, the
ixazomib missed-dose rule from `shared.regimen`, today's reminders, and what is in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from mobile import strings as S
from mobile.journal import Journal
from mobile.presenters.banners import Banner, banners
from mobile.presenters.context import PatientContext, active_alerts, held_drugs, load_context, reminders_between
from mobile.store import Store
from shared import regimen

# Before the usual time plus this, an unlogged dose is simply not taken *yet*.
MISSED_AFTER = timedelta(hours=1)
# Dose logs shown on Today are looked up this far back.
MISSED_LOOKBACK_DAYS = 4
# After the last moment a missed dose may be taken (or a vomited dose), the helper stays this long,
# so the patient sees the "skip it" advice, then it goes.
SHOW_AFTER_DECISION = timedelta(hours=24)


@dataclass(frozen=True)
class DoseRow:
    drug: str
    name: str  # "Ixazomib (Ninlaro) 4 mg"
    how: str  # the food rule, in plain words
    time_text: str
    logged: str  # "" or "Taken at 08:05"
    status: str | None
    held: bool

    @property
    def logged_icon(self) -> str:
        return S.ICON_OK if self.status == "taken" else S.ICON_INFO

    @property
    def logged_level(self) -> str:
        return "ok" if self.status == "taken" else "info"


@dataclass(frozen=True)
class MissedDose:
    title: str
    text: str
    can_take: bool


@dataclass(frozen=True)
class TodayView:
    greeting: str
    date_text: str
    cycle_text: str
    note: str
    doses: list[DoseRow]
    no_doses_text: str
    missed: list[MissedDose]
    reminders: list[tuple[str, str]]  # (time, what)
    banners: list[Banner]


class TodayPresenter:
    def __init__(self, store: Store, journal: Journal) -> None:
        self.store = store
        self.journal = journal

    def view(self, now: datetime) -> TodayView:
        ctx = load_context(self.store)
        local = now.astimezone(ctx.tz)
        today = local.date()
        found_banners = banners(self.store, ctx, now)
        if ctx.regimen is None:
            return TodayView(
                S.greeting(ctx.name), S.day_long(today), "", S.TODAY_NO_REGIMEN, [], "", [], [], found_banners
            )
        start = ctx.regimen.calendar  # the care team's cycle delays included
        position = regimen.cycle_day(start, today)
        held = held_drugs(active_alerts(self.store, now), self.store)
        if position is None:
            cycle_text, note = "", S.starts_on(S.day_long(start.first_day))
        else:
            cycle_text = S.cycle_day(position.cycle, position.day)
            note = S.TODAY_NADIR if regimen.is_in_nadir_window(start, today) else ""
            if position.day > regimen.CYCLE_LENGTH_DAYS:  # in a delay the care team decided
                note = S.next_cycle_delayed(S.day_long(regimen.cycle_start_date(start, position.cycle + 1)))
        logs = self._dose_logs(ctx, local)
        stopped = regimen.stopped_drugs(ctx.regimen.doses_mg)  # 0 mg: the care team stopped it
        due = [d.value for d in regimen.drugs_due(start, today) if d not in stopped]
        if position is not None and ctx.plan.antiviral_times:
            due.append("antiviral")  # prophylaxis is daily for the whole of treatment
        doses = [self._dose_row(ctx, drug, logs.get((drug, today)), held) for drug in due]
        midnight = datetime.combine(today + timedelta(days=1), time(0), tzinfo=ctx.tz)
        upcoming = [(S.clock(r.at), r.title) for r in reminders_between(self.store, now, midnight, now)]
        return TodayView(
            greeting=S.greeting(ctx.name),
            date_text=S.day_long(today),
            cycle_text=cycle_text,
            note=note,
            doses=doses,
            no_doses_text="" if regimen.drugs_due(start, today) or position is None else S.TODAY_NO_DOSES,
            missed=self._missed(ctx, logs, now),
            reminders=upcoming,
            banners=found_banners,
        )

    def log_dose(self, drug: str, status: str, now: datetime) -> str:
        """Saves a dose log (a new entry each time: the latest one for the day is what counts)."""
        ctx = load_context(self.store)
        return self.journal.record_dose(drug, status, now.astimezone(ctx.tz))

    def took_missed_dose(self, now: datetime) -> str:
        """The patient took the missed ixazomib dose just now (the helper said they still could)."""
        return self.log_dose("ixazomib", "taken", now)

    # ---- helpers --------------------------------------------------------------------------------

    def _dose_logs(self, ctx: PatientContext, local_now: datetime) -> dict[tuple[str, object], tuple[str, datetime]]:
        """(drug, local date) → (status, when) of the latest log that day."""
        since = local_now - timedelta(days=MISSED_LOOKBACK_DAYS + 1)
        latest: dict[tuple[str, object], tuple[str, datetime]] = {}
        for entry in self.store.entries("dose_logs", since=since):
            when = datetime.fromisoformat(entry.at).astimezone(ctx.tz)
            latest[(str(entry.item.get("drug")), when.date())] = (str(entry.item.get("status")), when)
        return latest

    def _dose_row(
        self, ctx: PatientContext, drug: str, logged: tuple[str, datetime] | None, held: list[str]
    ) -> DoseRow:
        assert ctx.regimen is not None
        if drug == "antiviral":
            times = [t.strftime("%H:%M") for t in ctx.plan.antiviral_times]
            return DoseRow(
                drug=drug,
                name=ctx.plan.antiviral_drug or S.DRUG_NAMES["antiviral"],
                how=S.tr(regimen.ANTIVIRAL_PROPHYLAXIS.food_rule),
                time_text=S.dose_times(times),
                logged=S.dose_logged(logged[0], S.clock(logged[1])) if logged else "",
                status=logged[0] if logged else None,
                held=False,
            )
        schedule = next(s for s in regimen.IRD_SCHEDULE if s.drug.value == drug)
        return DoseRow(
            drug=drug,
            name=S.drug_with_dose(drug, ctx.regimen.doses_mg.get(drug)),
            how=S.tr(schedule.food_rule),
            time_text=S.dose_at(getattr(ctx.plan, f"{drug}_time").strftime("%H:%M")),
            logged=S.dose_logged(logged[0], S.clock(logged[1])) if logged else "",
            status=logged[0] if logged else None,
            held=drug in held,
        )

    def _missed(
        self, ctx: PatientContext, logs: dict[tuple[str, object], tuple[str, datetime]], now: datetime
    ) -> list[MissedDose]:
        """The shared rule for the latest ixazomib dose, when it was not taken: take it until …, or
        skip it. Any ixazomib log from its day up to the next dose day counts for that dose."""
        assert ctx.regimen is not None
        local = now.astimezone(ctx.tz)
        today = local.date()
        start = ctx.regimen.calendar
        dose_time = ctx.plan.ixazomib_time
        days = regimen.scheduled_dates(start, regimen.Drug.IXAZOMIB, today - timedelta(days=27), today)
        if not days:
            return []
        day = days[-1]
        status, logged_at = self._ixazomib_log(ctx, day, local)
        if status == "taken":
            return []
        due = datetime.combine(day, dose_time, tzinfo=ctx.tz)
        if status is None and local < due + MISSED_AFTER:
            return []
        advice = regimen.ixazomib_missed_dose_advice(
            start_date=start, missed_on=day, now=now, dose_time=dose_time, tz=ctx.tz, vomited=status == "vomited"
        )
        if status == "vomited":
            if logged_at is None or local - logged_at > SHOW_AFTER_DECISION:
                return []
        elif advice.take_until is not None and local > advice.take_until + SHOW_AFTER_DECISION:
            return []
        # Worded from the rule's fields (not its English `reason`) so the catalog can translate it.
        next_dose = S.day_and_time(advice.next_dose)
        if status == "vomited":
            text = S.missed_vomited(next_dose)
        elif advice.can_take and advice.take_until is not None:
            text = S.missed_can_take(S.day_and_time(advice.take_until), next_dose)
        else:
            text = S.missed_skip(next_dose)
        lead = S.MISSED_NOT_LOGGED + " " if status is None else ""
        can_take = advice.can_take and status != "vomited"
        return [MissedDose(S.missed_dose_title(S.day_short(day)), lead + text, can_take)]

    def _ixazomib_log(self, ctx: PatientContext, day: date, local_now: datetime) -> tuple[str | None, datetime | None]:
        """The latest ixazomib log from `day` up to now (the next dose day ends the window)."""
        since = datetime.combine(day, time(0), tzinfo=ctx.tz)
        latest: tuple[str | None, datetime | None] = (None, None)
        for entry in self.store.entries("dose_logs", since=since):
            if entry.item.get("drug") == "ixazomib":
                latest = (str(entry.item.get("status")), datetime.fromisoformat(entry.at).astimezone(ctx.tz))
        return latest
