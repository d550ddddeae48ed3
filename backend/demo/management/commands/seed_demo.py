"""`python manage.py seed_demo`: the demo clinic, idempotent; prints the logins and a fresh code."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from backend.demo import seed as demo


class Command(BaseCommand):
    help = "Seed the demo clinic (idempotent) and print the demo logins and a fresh enrollment code."

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo.seed_demo()
        self.stdout.write(
            "\n".join(
                [
                    f"Demo clinic: {result.clinic.name} ({result.alerts_raised} new alerts raised)",
                    f"  nurse login:  {demo.NURSE[0]} / {demo.NURSE[1]}",
                    f"  admin login:  {demo.ADMIN[0]} / {demo.ADMIN[1]} (clinic admin: staff, deliveries, settings)",
                    f"  Django admin (engineers): {demo.ENGINEER[0]} / {demo.ENGINEER[1]}",
                    f"  enrollment code for the phone app ({demo.WAITING.name}): {result.enrollment_code}",
                    f"  caregiver login: {demo.CAREGIVER[0]} / {demo.CAREGIVER[1]} "
                    f"({demo.PATIENTS[0].name}: {', '.join(demo.CAREGIVER_SCOPES)})",
                    "  escalation: an alert nobody acknowledges goes to every nurse after "
                    f"{demo.ESCALATION_MINUTES[0]} min (critical) or {demo.ESCALATION_MINUTES[1]} min (urgent), then "
                    "on call; the dev transport logs each email/SMS/push (dashboard > Deliveries)",
                    *(f"  next reminder: {line}" for line in result.next_reminders),
                ]
            )
        )
