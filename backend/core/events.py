"""What the bottom layer announces to the apps above it, which it cannot import (README "Layers")."""

from django.dispatch import Signal

#: A throttle refused a request, announced once per window per budget and client (or once for all
#: clients, reach "global"). Keyword arguments: `budget` (e.g. "codes"), `reach` ("address" or
#: "global"), `address` (the client that was refused), `rate` (e.g. "10/min"), `now`.
requests_throttled = Signal()
