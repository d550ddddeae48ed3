"""What the phone itself does: notifications (plyer, with an in-app fallback on the desktop),
opening the dialer, asking Android for the notification permission, and the zone it is set to."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable

from kivy.utils import platform

logger = logging.getLogger(__name__)


def notify(title: str, message: str, *, fallback: Callable[[str, str], None]) -> bool:
    """A system notification; `fallback` shows it inside the app when the system cannot (a desktop
    without a notification service, or a phone that refused the permission)."""
    try:
        from plyer import notification

        with warnings.catch_warnings():  # plyer warns about each backend it could not find; we log once
            warnings.simplefilter("ignore")
            notification.notify(title=title, message=message, app_name="CareLoop", timeout=15)
        shown = True
    except Exception:  # plyer raises NotImplementedError or whatever its backend raises
        logger.info("no system notification service; showing the reminder in the app")
        shown = False
    if not shown or platform != "android":
        fallback(title, message)
    return shown


def dial(number: str) -> bool:
    """Opens the dialer with the number filled in (ACTION_DIAL needs no CALL_PHONE permission).
    False where there is no dialer: the number is on screen in large type anyway."""
    if platform != "android" or not number:
        return False
    try:
        from jnius import autoclass  # type: ignore[import-not-found]

        intent_class = autoclass("android.content.Intent")
        uri = autoclass("android.net.Uri")
        activity = autoclass("org.kivy.android.PythonActivity").mActivity
        activity.startActivity(intent_class(intent_class.ACTION_DIAL, uri.parse(f"tel:{number}")))
        return True
    except Exception:
        logger.exception("could not open the dialer")
        return False


def ask_notification_permission() -> None:
    """Android 13+ asks the person before an app may notify; earlier versions grant it at install."""
    if platform != "android":
        return
    try:
        from android.permissions import Permission, request_permissions  # type: ignore[import-not-found]

        request_permissions([Permission.POST_NOTIFICATIONS])
    except Exception:
        logger.info("notification permission not requested (older Android or p4a)")


def timezone_name() -> str | None:
    """The IANA zone the phone is set to now (it follows the network when the person travels), or
    None when it cannot tell. Android: java.util.TimeZone; elsewhere tzlocal when installed, else
    $TZ or the /etc/localtime link."""
    if platform == "android":
        try:
            from jnius import autoclass  # type: ignore[import-not-found]

            return str(autoclass("java.util.TimeZone").getDefault().getID()) or None
        except Exception:
            logger.info("could not read the phone's time zone")
            return None
    try:
        import tzlocal  # type: ignore[import-not-found, unused-ignore]

        return str(tzlocal.get_localzone_name()) or None
    except Exception:  # not installed, or it cannot tell
        logger.debug("tzlocal cannot tell the zone; trying $TZ and /etc/localtime")
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        return name
    link = os.path.realpath("/etc/localtime")
    return link.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in link else None
