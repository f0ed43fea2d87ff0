// The check-in page: asks the browser for the position only after the employee's
// location consent, and only at the moment 打卡 is pressed (PIPL Art. 28).
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("checkin-form");
    if (!form) {
      return;
    }
    var status = document.getElementById("checkin-status");
    var errorBox = document.querySelector("[data-testid=checkin-error]");
    var button = form.querySelector("[data-testid=checkin-button]");
    var sending = false;

    if (/Android|iPhone|iPad|Mobile/i.test(navigator.userAgent)) {
      document.getElementById("checkin-client").value = "mobile";
    }

    function showError(text) {
      errorBox.textContent = text;
      errorBox.hidden = false;
      status.textContent = "";
      button.disabled = false;
      sending = false;
    }

    function send() {
      status.textContent = form.dataset.msgSending;
      HTMLFormElement.prototype.submit.call(form);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sending) {
        return;
      }
      sending = true;
      button.disabled = true;
      errorBox.hidden = true;
      if (form.dataset.locationConsent !== "1" || !navigator.geolocation) {
        send();
        return;
      }
      status.textContent = form.dataset.msgLocating;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          document.getElementById("checkin-latitude").value = position.coords.latitude.toFixed(6);
          document.getElementById("checkin-longitude").value = position.coords.longitude.toFixed(6);
          document.getElementById("checkin-accuracy").value = Math.round(position.coords.accuracy || 0);
          send();
        },
        function (failure) {
          if (failure.code === failure.PERMISSION_DENIED) {
            showError(form.dataset.msgDenied);
          } else {
            showError(form.dataset.msgUnavailable);
          }
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 }
      );
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
