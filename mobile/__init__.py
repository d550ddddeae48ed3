"""CareLoop's patient app (Kivy): `python -m mobile`, or `make app`.

Kivy-free (tested headless, no display):
  `store.py` (SQLite on the phone: entries keyed by phone-made UUIDs, the outbox, the cursor),
  `journal.py` (an entry is checked, graded and advised with `shared/`, then committed),
  `sync.py` (contract §3: the engine, backoff and the background runner), `api.py` (every HTTP
  call), `reminders.py` (the `shared.reminders` plan on the phone), `presenters/` (what each
  screen shows), `strings.py` (every user-facing string), `theme.py`, `config.py`, `packaging.py`.
Kivy: `app.py` (wiring), `screens/` (one thin .py + .kv pair per screen), `widgets/`, `device.py`
(notifications, dialer), `boot.py` (settings needed before the window exists).
"""
