// CareLoop dashboard: keeps ages and escalation countdowns current between server renders, shows
// audit times in the browser's zone, and drives the resolve dialog. Everything works without it,
// only less live. The wording matches backend/dashboard/wording.py:duration.
(function () {
  "use strict";

  // Server time minus this browser's clock, from the queue's data-now: a PC with a wrong clock
  // must not show a wrong countdown.
  let skew = 0;

  function syncClock() {
    const table = document.querySelector("[data-now]");
    if (table) {
      const serverNow = Date.parse(table.dataset.now);
      if (!Number.isNaN(serverNow)) skew = serverNow - Date.now();
    }
  }

  function duration(ms) {
    let minutes = Math.max(0, Math.floor(Math.abs(ms) / 60000));
    if (minutes < 60) return minutes + " min";
    let hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 24) return hours + " h " + String(minutes).padStart(2, "0") + " min";
    const days = Math.floor(hours / 24);
    hours = hours % 24;
    return days + " d " + hours + " h";
  }

  // The page's words for a countdown, in its language (base.html's body, from the translation).
  let leftText = "{d} left";
  let overdueText = "Overdue {d}";

  function tick() {
    const now = Date.now() + skew;
    document.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = duration(now - Date.parse(el.dataset.since));
    });
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      const left = Date.parse(el.dataset.deadline) - now;
      el.textContent = (left >= 0 ? leftText : overdueText).replace("{d}", duration(Math.abs(left)));
      const box = el.closest("[data-escalation]");
      if (box) box.classList.toggle("is-overdue", left < 0);
    });
  }

  function localTimes(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      const at = new Date(el.getAttribute("datetime"));
      if (!Number.isNaN(at.getTime())) el.textContent = at.toLocaleString(document.documentElement.lang || undefined);
    });
  }

  // A chart or a table wider than a narrow screen scrolls in its own box (.chart-scroll, a flush
  // card): that box is then reachable from the keyboard, named by its chart's title or its card's
  // heading; otherwise it is no tab stop.
  function scrollBoxes() {
    document.querySelectorAll(".chart-scroll, .card--flush").forEach(function (box) {
      const named = box.hasAttribute("aria-labelledby") || (box.hasAttribute("aria-label") && !box.dataset.scrollBox);
      const title = box.querySelector("svg title, caption, h2");
      if (box.scrollWidth > box.clientWidth + 1) {
        // A chart opens on its latest weeks, at the right, where the nurse looks first.
        if (box.tabIndex !== 0 && box.classList.contains("chart-scroll")) box.scrollLeft = box.scrollWidth;
        box.tabIndex = 0;
        if (!named) {
          box.dataset.scrollBox = "1";
          box.setAttribute("role", "region");
          if (title) box.setAttribute("aria-label", title.textContent.trim());
        }
      } else {
        box.removeAttribute("tabindex");
        if (box.dataset.scrollBox) {
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
          delete box.dataset.scrollBox;
        }
      }
    });
  }

  function dialog() {
    return document.getElementById("dialog");
  }

  document.addEventListener("DOMContentLoaded", function () {
    leftText = document.body.dataset.leftText || leftText;
    overdueText = document.body.dataset.overdueText || overdueText;
    syncClock();

    tick();
    localTimes(document);
    scrollBoxes();
    window.addEventListener("resize", scrollBoxes);
    setInterval(tick, 15000);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    syncClock();
    tick();
    localTimes(event.target);
  });

  // The resolve form is fetched into the dialog: open it and put the focus on the first choice.
  document.addEventListener("htmx:afterSwap", function (event) {
    const d = dialog();
    if (d && event.detail.target.id === "dialog-body" && event.detail.target.childElementCount) {
      if (!d.open) d.showModal();
      // The resolve form's first choice; the assign controls above it come after in the tab order too.
      const first = d.querySelector("input[name=outcome]") ||
        d.querySelector("input:not([type=hidden]), textarea, select, button");
      if (first) first.focus();
    }
  });

  // Sent by the server (HX-Trigger) once an alert is resolved.
  document.addEventListener("dialog-close", function () {
    const d = dialog();
    if (d && d.open) d.close();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-dialog]")) {
      const d = dialog();
      if (d) d.close();
    }
  });

  // One request per form: a double click or a second Enter must not send it twice (the server is
  // idempotent as well). The buttons are disabled after the submit event has run its course, so the
  // first submission still goes out; they come back when an htmx request ends, or when the browser
  // shows the page again from its back-forward cache.
  function isPost(form) {
    return form instanceof HTMLFormElement &&
      ((form.getAttribute("method") || "").toLowerCase() === "post" || form.hasAttribute("hx-post"));
  }

  function setSending(form, sending) {
    if (sending) form.dataset.sending = "1"; else delete form.dataset.sending;
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
      button.disabled = sending;
    });
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!isPost(form)) return;
    if (form.dataset.sending) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    form.dataset.sending = "1";
    setTimeout(function () { if (form.dataset.sending) setSending(form, true); }, 0);
  }, true);

  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    if (form && form.dataset.sending) setSending(form, false);
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) { setSending(form, false); });
  });

  // After an acknowledge, resolve or assign in the queue, the keyboard focus moves to the next
  // alert row's first action (or to the queue's heading when no row is left), once the queue has
  // been read again: the row acted on may be gone, and the focus must not fall to the page's top.
  let lastRow = null;  // the id of the row whose control was used last (the dialog's alert)
  let pendingFocus = null;

  document.addEventListener("click", function (event) {
    const row = event.target.closest && event.target.closest("[data-alert-row]");
    if (row) lastRow = row.id;
  }, true);

  function rowsOf(table) {
    return Array.prototype.slice.call(table.querySelectorAll("[data-alert-row]"));
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    const elt = event.detail.elt;
    if (!event.detail.successful || !elt || !elt.closest) return;
    const form = elt.closest("form");
    if (!form || !isPost(form)) return;
    const row = elt.closest("[data-alert-row]");
    const inDialog = elt.closest("#dialog");
    const table = document.getElementById("queue-table");
    const id = row ? row.id : (inDialog ? lastRow : null);
    const acted = id && table ? document.getElementById(id) : null;
    if (!acted || !table) return;
    const rows = rowsOf(table);
    const index = rows.indexOf(acted);
    const next = rows[index + 1];
    pendingFocus = { table: table, id: id, next: next ? next.id : null, index: index };
  });

  function firstAction(row) {
    return row.querySelector(".col-actions button, .col-actions a") || row.querySelector("button, a");
  }

  function applyFocus() {
    const table = document.getElementById("queue-table");
    const d = dialog();
    if (!pendingFocus || !table || table === pendingFocus.table || (d && d.open)) return;
    const wanted = pendingFocus;
    pendingFocus = null;
    const rows = rowsOf(table);
    let target = wanted.next ? document.getElementById(wanted.next) : null;
    if (!target && !document.getElementById(wanted.id)) target = rows[Math.min(wanted.index, rows.length - 1)] || null;
    const control = target ? firstAction(target) : null;
    if (control) {
      control.focus();
    } else {
      const heading = document.getElementById("queue-heading");
      if (heading) heading.focus();
    }
  }

  document.addEventListener("htmx:afterSettle", function () { applyFocus(); });
  document.addEventListener("close", function (event) {
    if (event.target === dialog()) setTimeout(applyFocus, 0);
  }, true);

  // An emptied dialog must not keep a stale form for the next alert.
  document.addEventListener("close", function (event) {
    if (event.target === dialog()) document.getElementById("dialog-body").replaceChildren();
  }, true);
})();
