"""The app in Spanish, driven by touch like test_screens.py (whose journey ends signed out, on the
enroll screen; run alone, this starts there too): a phone set to Spanish starts in Spanish before
sign-in, every screen's labels and shared/'s questions and advice are Spanish after it, the
person's choice in Settings switches every screen at once and reaches the clinic, and a choice
made at the clinic reaches the phone with the next sync."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.mobile.fake_server import CODE
from tests.mobile.ui.conftest import NOW, Driver

pytestmark = pytest.mark.ui

ENGLISH_LABELS = ("Today", "Feel", "Messages", "Settings", "Connect", "Your medicines today")


@pytest.fixture(scope="module")
def spanish_phone(ui: Driver) -> Iterator[Driver]:
    """The phone's own language is Spanish for this module (conftest pins English for the others)."""
    ui.state.fail_sync_with = None
    if ui.app.store.is_enrolled():
        ui.app.sign_out()
    before = os.environ.get("LANGUAGE")
    os.environ["LANGUAGE"] = "es_MX"
    # test_screens.py leaves the phone's clock at 20:01, just past the evening antiviral: after the
    # new enrollment the app's next tick (every few seconds, real time) would show that reminder
    # over the screen, under whatever a test taps then. This journey is set before it, at NOW.
    clock_before = ui.clock[0]
    ui.clock[0] = NOW
    try:
        yield ui
    finally:
        ui.clock[0] = clock_before
        os.environ["LANGUAGE"] = before or "en"
        ui.state.language = ""
        ui.app.use_language()  # back to English for whatever runs next in this process


def labels(ui: Driver) -> set[str]:
    """Every text on the screen and the bars around it."""
    return {
        w.text.strip()
        for w in ui.app.root.walk(restrict=True)
        if isinstance(getattr(w, "text", None), str) and w.text.strip()
    } | {getattr(w, "label", "") for w in ui.app.root.ids.nav.children}


def test_a_phone_set_to_spanish_starts_in_spanish_before_sign_in(spanish_phone: Driver) -> None:
    ui = spanish_phone
    ui.app.use_language()  # what build() does at start: the person's language, else the phone's
    ui.until(lambda: ui.screen.name == "enroll", what="the enroll screen")
    texts = ui.texts()
    assert "Bienvenido/a a CareLoop" in texts
    assert "Su código" in texts and "Conectar" in texts
    assert "¿No tiene código? Llame a su equipo de atención y pida un código de CareLoop." in texts
    assert not set(ENGLISH_LABELS) & labels(ui)
    ui.shot("es_01_enroll")


def test_after_enrolling_every_screen_speaks_spanish(spanish_phone: Driver) -> None:
    ui = spanish_phone
    ui.type(ui.screen.ids.code, CODE)
    ui.tap("Conectar")
    ui.until(lambda: ui.screen.name == "today", what="Today after enrolling")
    ui.until(lambda: ui.state.sync_bodies, what="the first sync")
    ui.settle()
    assert {"Hoy", "Síntomas", "Lab", "Gráficas", "Mensajes"} <= labels(ui)  # the bottom bar
    assert "⚙ Ajustes" in labels(ui)
    assert "Sus medicinas de hoy" in ui.texts()
    assert "Ciclo 1 · Día 15 de 28" in ui.texts()
    assert not set(ENGLISH_LABELS) & labels(ui)
    ui.shot("es_02_today", top=True)

    ui.go("feel")
    assert ui.app.screen_title == "¿Cómo se siente?"
    ui.tap("Diarrea")
    # shared/'s question, through shared/'s catalog (the one the server's messages use)
    assert "¿Cuántas deposiciones más de lo normal tuvo en las últimas 24 horas?" in ui.texts()
    for _ in range(7):
        ui.tap("+")
    assert "Urgente: Diarrea de grado 3" in ui.texts()
    assert "No tome ixazomib (Ninlaro) por ahora." in ui.texts()  # the alert policy's advice
    ui.shot("es_03_feel_urgent")


def test_choosing_english_in_settings_switches_every_screen_and_tells_the_clinic(spanish_phone: Driver) -> None:
    ui = spanish_phone
    ui.go("settings")
    assert "Idioma" in ui.texts()
    ui.shot("es_04_settings", top=True)
    ui.tap("English")
    ui.until(lambda: ui.screen.name == "settings" and "Language" in ui.texts(), what="Settings in English")
    assert {"Today", "Feel", "Messages"} <= labels(ui)
    assert "Hoy" not in labels(ui)
    ui.until(lambda: ui.state.language == "en", what="the choice saved at the clinic")
    assert ui.app.store.get("language_dirty") is None
    ui.go("today")
    assert "Your medicines today" in ui.texts()


def test_a_language_chosen_at_the_clinic_reaches_the_phone_with_the_next_sync(spanish_phone: Driver) -> None:
    ui = spanish_phone
    ui.state.language = "es"  # chosen on another phone, or by the care team
    ui.app.sync_now()
    ui.until(lambda: "Sus medicinas de hoy" in ui.texts(), what="Today in Spanish after the sync")
    assert ui.screen.name == "today"
    assert "Hoy" in labels(ui)
