// CareLoop dashboard: announces a new critical alert wherever the nurse is. Every page polls
// dashboard:alerts-announce (counts and a time, no patient data) and shows a banner leading to the
// queue until she dismisses it; a newer critical alert brings it back. On this browser's choice
// (localStorage, off by default): a short tone (Web Audio, no file) and a browser notification
// whose title and body name no patient. The words come from the page (translated there).
(function () {
  "use strict";

  const KEYS = {
    seen: "careloop.announce.seen", // the newest arrival already announced (ms), shared by the tabs
    dismissed: "careloop.announce.dismissed", // the newest arrival when the banner was dismissed
    sound: "careloop.announce.sound",
    notify: "careloop.announce.notify",
  };
  const FIRST_DELAY_MS = 5000;

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: this page only */ }
  }

  let root, live, prefs, delay = FIRST_DELAY_MS, version = "", arrived = 0, timer = null, stopped = false;
  let audio = null;

  function tone() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
      if (audio.state === "suspended") audio.resume();
      const start = audio.currentTime + 0.02;
      [0, 0.22].forEach(function (offset, i) { // two short rising notes, 0.4 s in all
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = "sine";
        osc.frequency.value = i ? 1175 : 880;
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(start + offset);
        osc.stop(start + offset + 0.2);
      });
    } catch (e) { /* no sound is no harm: the banner is there */ }
  }

  function notify() {
    if (!("Notification" in window) || window.Notification.permission !== "granted") return;
    try {
      // The same tag in every tab: the browser shows one notification, not one per open page.
      const note = new window.Notification(root.dataset.title, { body: root.dataset.body, tag: "careloop-critical" });
      note.onclick = function () { window.focus(); window.location.assign(root.dataset.queue); };
    } catch (e) { /* e.g. Android Chrome wants a service worker: the banner is there */ }
  }

  function showBanner(text) {
    root.querySelector("[data-announce-count]").textContent = text;
    root.hidden = false;
  }

  function hideBanner() {
    root.hidden = true;
  }

  function announce(text) {
    live.textContent = root.dataset.title + " " + text;
    if (stored(KEYS.sound) === "1") tone();
    if (stored(KEYS.notify) === "1") notify();
  }

  function show(data) {
    version = data.version || "";
    if (data.poll_seconds) delay = Math.max(1, Number(data.poll_seconds)) * 1000;
    arrived = Number(data.arrived) || 0;
    const dismissed = Number(stored(KEYS.dismissed)) || 0;
    if (data.critical > 0 && arrived > dismissed) showBanner(data.text); else hideBanner();
    const seen = Number(stored(KEYS.seen)) || 0;
    if (data.critical > 0 && arrived > seen) {
      store(KEYS.seen, String(arrived));
      if (arrived > dismissed) announce(data.text);
    }
  }

  function poll() {
    timer = null;
    const url = root.dataset.url + (version ? "?v=" + encodeURIComponent(version) : "");
    // HX-Request: an expired session is answered with HX-Redirect to the sign-in page, as the
    // queue's polling is; X-CareLoop-Poll: polling does not keep an idle session alive.
    fetch(url, {
      headers: {
        "Accept": "application/json",
        "HX-Request": "true",
        "HX-Current-URL": window.location.pathname + window.location.search, // signed in again: back here
        "X-CareLoop-Poll": "1",
      },
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      const redirect = response.headers.get("HX-Redirect");
      if (redirect) { stopped = true; window.location.assign(redirect); return null; }
      if (response.status === 204) return null;
      const json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!response.ok || !json) { stopped = true; return null; }
      return response.json();
    }).then(function (data) {
      if (data) show(data);
    }).catch(function () {
      /* offline for a moment: ask again at the next turn */
    }).then(function () {
      if (!stopped) timer = window.setTimeout(poll, delay);
    });
  }

  function notifyState(text) {
    prefs.querySelector("[data-announce-notify-state]").textContent = text || "";
  }

  function setUpPrefs() {
    prefs = document.querySelector("[data-announce-prefs]");
    if (!prefs) return;
    prefs.hidden = false;
    const sound = prefs.querySelector("[data-announce-sound]");
    const notifyBox = prefs.querySelector("[data-announce-notify]");
    sound.checked = stored(KEYS.sound) === "1";
    const supported = "Notification" in window;
    notifyBox.checked = supported && stored(KEYS.notify) === "1" && window.Notification.permission === "granted";
    sound.addEventListener("change", function () {
      store(KEYS.sound, sound.checked ? "1" : "0");
      if (sound.checked) tone(); // what she will hear; her click also lets the page play sound
    });
    notifyBox.addEventListener("change", function () {
      if (!notifyBox.checked) { store(KEYS.notify, "0"); notifyState(""); return; }
      if (!supported) { notifyBox.checked = false; notifyState(root.dataset.notifyUnsupported); return; }
      // Permission is asked only now, when she turns notifications on.
      Promise.resolve(window.Notification.permission === "granted" ? "granted" : window.Notification.requestPermission())
        .then(function (permission) {
          const granted = permission === "granted";
          notifyBox.checked = granted;
          store(KEYS.notify, granted ? "1" : "0");
          notifyState(granted ? root.dataset.notifyOn : root.dataset.notifyDenied);
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("announce");
    live = document.getElementById("announce-live");
    if (!root || !live) return; // signed out: nothing to announce
    setUpPrefs();
    root.querySelector("[data-announce-dismiss]").addEventListener("click", function () {
      store(KEYS.dismissed, String(arrived));
      hideBanner();
      const main = document.getElementById("main");
      if (main) main.focus(); // the focus does not vanish with the banner
    });
    // Another tab dismissed it: this one follows.
    window.addEventListener("storage", function (event) {
      if (event.key === KEYS.dismissed && (Number(event.newValue) || 0) >= arrived) hideBanner();
    });
    poll();
  });
})();
