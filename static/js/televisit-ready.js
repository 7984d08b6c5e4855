// The visit's Telewizyta section: the notice that the patient clicked "Połącz" in the portal (POR-5) appears at once.
// The calendar's socket (/ws/kalendarz/) says where to fetch it; the page that answers applies the visit's access
// rule. A socket that drops comes back.
(function () {
  "use strict";

  var box = document.getElementById("tv-ready-notices");
  if (!box || !("WebSocket" in window)) {
    return;
  }
  var appointment = box.dataset.appointment;
  var delay = 1000;

  function show(url) {
    fetch(url + "?in_visit=1", { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (html.trim()) {
          box.innerHTML = html; // the product's own fragment, escaped by its template
        }
      });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/kalendarz/");
    socket.addEventListener("open", function () {
      delay = 1000;
    });
    socket.addEventListener("message", function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "calendar.notice" && String(message.appointment_id) === appointment) {
        show(message.url);
      }
    });
    socket.addEventListener("close", function (event) {
      if (event.code !== 4403) {
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      }
    });
  }

  connect();
})();
