"""What patients announce to the apps above them, which they cannot import (README "Layers").

Each signal is sent inside the transaction that made the change, so a receiver's writes commit or
roll back with it. Receivers are connected in their own app's `ready()`: reminders plans and
re-times a patient's reminders, notifications moves quiet hours that followed the patient's zone.
"""

from django.dispatch import Signal

#: A nurse created a patient. Keyword arguments: `patient`.
patient_created = Signal()

#: A patient moved to another time zone. Keyword arguments: `patient` (saved, with the new zone),
#: `old_zone`, `new_zone`, `now`.
timezone_changed = Signal()

#: A care-team decision changed the patient's doses (backend.patients.dose_decisions). Keyword
#: arguments: `patient` (saved, with the new doses), `now`.
regimen_changed = Signal()

#: A patient was paused, discharged or made active again (backend.patients.care_status). Keyword
#: arguments: `patient` (saved, with the new status), `old_status`, `now`. Reminders cancels the
#: pending ones (or plans them again on resume); alerts stops or restarts escalation ladders.
care_status_changed = Signal()
