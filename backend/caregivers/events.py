"""What caregivers announce to the apps above them, which they cannot import (README "Layers").

Each signal is sent inside the transaction that made the change, so a receiver's writes commit or
roll back with it. Receivers are connected in their own app's `ready()`.
"""

from django.dispatch import Signal

#: A caregiver lost access to a patient. Keyword arguments: `caregiver_id`, `patient_id`.
link_revoked = Signal()
