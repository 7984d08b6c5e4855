// Kalendarz: the side panel's closing, htmx error windows, and live refresh of the grid (CAL-8) over the
// /ws/kalendarz/ socket, with slow polling while the socket is down.
(function () {
  "use strict";

  var POLL_MS = 30000;
  var REFRESH_DELAY_MS = 250;
  var socket = null;
  var pollTimer = null;
  var refreshTimer = null;

  function grid() {
    return document.getElementById("calendar-grid");
  }

  function panel() {
    return document.getElementById("calendar-panel");
  }

  function refresh() {
    var current = grid();
    if (current) {
      htmx.ajax("GET", current.dataset.refreshUrl, { target: "#calendar-grid", swap: "outerHTML" });
    }
  }

  // Several changes in a row (a move touches two days) cost one request.
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, REFRESH_DELAY_MS);
  }

  function concernsGrid(message) {
    var current = grid();
    if (!current || current.dataset.days.split(" ").indexOf(message.date) === -1) {
      return false;
    }
    // Without a chosen doctor a doctor new to the day gets a column too, so any change on a shown day counts.
    var doctor = current.dataset.doctor;
    return !doctor || doctor === String(message.employee_id);
  }

  function startPolling() {
    if (pollTimer === null) {
      pollTimer = setInterval(function () {
        refresh();
        if (socket === null) {
          connect();
        }
      }, POLL_MS);
    }
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  function connect() {
    if (!("WebSocket" in window)) {
      startPolling();
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var opened = false;
    socket = new WebSocket(scheme + window.location.host + "/ws/kalendarz/");
    socket.addEventListener("open", function () {
      var wasPolling = pollTimer !== null;
      opened = true;
      stopPolling();
      if (wasPolling) {
        refresh(); // changes made while the socket was down
      }
    });
    socket.addEventListener("message", function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "calendar.changed" && concernsGrid(message)) {
        refreshSoon();
      } else if (message.type === "calendar.notice") {
        showNotice(message.url);
      }
    });
    socket.addEventListener("close", function () {
      socket = null;
      document.body.dataset.calendarLive = opened ? "lost" : "off";
      startPolling();
    });
    socket.addEventListener("open", function () {
      document.body.dataset.calendarLive = "on";
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-panel-close]")) {
      panel().replaceChildren();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && panel()) {
      panel().replaceChildren();
    }
  });

  // A refused booking or action (409 taken, 422 invalid) is a window to show, not a failed request.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Sent by the server after this user's own change (HX-Trigger), so the grid follows even without the socket.
  document.body.addEventListener("calendar-changed", refreshSoon);

  // Notices about a doctor's appointment, e.g. a patient ready for his videoconsultation (POR-5): the socket says
  // where to fetch one, and the patients waiting already are fetched once as the calendar opens. Each replaces an
  // earlier one of the same appointment.
  var READY_URL = "/telewizyta/gotowi/"; // televisit.urls: televisit_ready_list

  function notices() {
    var box = document.getElementById("calendar-notices");
    if (!box && grid()) {
      box = document.createElement("div");
      box.id = "calendar-notices";
      box.className = "calendar-notices";
      box.setAttribute("aria-live", "polite");
      document.querySelector(".calendar-layout").before(box);
    }
    return box;
  }

  function addNotices(html) {
    var box = notices();
    if (!box || !html.trim()) {
      return;
    }
    var template = document.createElement("template");
    template.innerHTML = html; // the product's own fragment, escaped by its template
    template.content.querySelectorAll("[data-appointment]").forEach(function (notice) {
      var earlier = box.querySelector("[data-appointment='" + notice.dataset.appointment + "']");
      if (earlier) {
        earlier.remove();
      }
      box.appendChild(notice);
    });
  }

  function showNotice(url) {
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(addNotices);
  }

  showNotice(READY_URL);

  connect();
})();
