"""What response announces to the apps above it, which it cannot import (README "Layers").

Each signal is sent inside the transaction that made the change, so a receiver's writes commit or
roll back with it. Reminders connects both in its `ready()`: the patient's reminder of their next
response test (shared.response_tests) follows the response and the clinic's test interval.
"""

from django.dispatch import Signal

#: A recompute changed what the next response test depends on: the last day an SPEP, UPEP or FLC
#: was drawn, or whether a PR or better has been confirmed. Keyword arguments: `patient`, `now`.
response_test_inputs_changed = Signal()

#: A clinic changed how often its responders are tested (`test_every_cycles`). Keyword arguments:
#: `clinic_id`, `now`.
test_interval_changed = Signal()
