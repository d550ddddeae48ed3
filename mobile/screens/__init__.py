"""One screen per module, each a thin `screen.py` over its `screen.kv` layout. `REGISTRY` lets the
app build a screen only when it is first shown."""

from __future__ import annotations

REGISTRY: dict[str, tuple[str, str]] = {
    "enroll": ("mobile.screens.enroll", "EnrollScreen"),
    "today": ("mobile.screens.today", "TodayScreen"),
    "feel": ("mobile.screens.feel", "FeelScreen"),
    "lab": ("mobile.screens.lab", "LabScreen"),
    "trends": ("mobile.screens.trends", "TrendsScreen"),
    "response": ("mobile.screens.response", "ResponseScreen"),
    "messages": ("mobile.screens.messages", "MessagesScreen"),
    "caregivers": ("mobile.screens.caregivers", "CaregiversScreen"),
    "settings": ("mobile.screens.settings", "SettingsScreen"),
}
