// After django-otp-webauthn's script registered a passkey, go where the page says (the recovery
// codes for a first factor, else the Security page). A static file: the dashboard allows no inline script.
(function () {
  "use strict";
  document.addEventListener("otp_webauthn.register_complete", function () {
    var box = document.querySelector("[data-passkey-done]");
    if (box) window.location.assign(box.getAttribute("data-passkey-done"));
  });
})();
