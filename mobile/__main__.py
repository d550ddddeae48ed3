"""`python -m mobile` (what `make app` runs): the patient app on the desktop, against CARELOOP_API."""

from mobile.boot import configure

configure()

from mobile.app import main  # noqa: E402 - Kivy must be configured before the window exists

main()
