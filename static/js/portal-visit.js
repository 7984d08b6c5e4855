// The patient's videoconsultation in the portal (POR-4, POR-5): "Połącz" enabled when its time comes, and
// "Połączenie testowe" — the camera's picture, the microphone's level (microphone-meter.js) and the connection the
// call will use: its signalling socket and the ICE candidates gathered with the call's STUN and TURN servers. The page
// holds every text; this script only shows which one applies.
(function () {
  "use strict";

  var GATHER_MS = 10000;
  // setTimeout takes at most 2^31-1 ms (about 24 days); a visit further ahead is enabled by a reload meanwhile.
  var LONGEST_WAIT_MS = 24 * 3600 * 1000;

  var connect = document.getElementById("connect");
  if (connect && connect.disabled) {
    var wait = parseInt(connect.dataset.opensIn, 10) * 1000;
    if (wait < LONGEST_WAIT_MS) {
      setTimeout(function () {
        connect.disabled = false;
        connect.removeAttribute("aria-describedby");
        var when = document.getElementById("connect-when");
        if (when) {
          when.hidden = true;
        }
      }, wait);
    }
  }

  var check = document.getElementById("check");
  if (!check) {
    return;
  }

  function result(name, ok) {
    var item = check.querySelector("[data-check='" + name + "']");
    item.dataset.state = ok ? "ok" : "failed";
    item.querySelectorAll("[data-when]").forEach(function (span) {
      span.hidden = span.dataset.when !== item.dataset.state;
    });
  }

  // The socket of the call, opened and closed again without joining: the room notices nothing, but proxies and
  // firewalls on the way have let it through.
  function socketReached(path) {
    return new Promise(function (resolve) {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + window.location.host + path);
      var timer = setTimeout(function () {
        socket.close();
        resolve(false);
      }, GATHER_MS);
      socket.addEventListener("open", function () {
        clearTimeout(timer);
        socket.close();
        resolve(true);
      });
      socket.addEventListener("error", function () {
        clearTimeout(timer);
        resolve(false);
      });
    });
  }

  // The candidates the call's browser would offer: any at all when only STUN (or nothing, on one network) is
  // configured; with TURN, a relayed one, the way that works through any NAT.
  function candidatesGathered(config) {
    return new Promise(function (resolve) {
      var pc = new RTCPeerConnection({
        iceServers: config.iceServers,
        iceTransportPolicy: config.iceTransportPolicy,
      });
      var types = {};
      var done = false;
      function finish() {
        if (done) {
          return;
        }
        done = true;
        pc.close();
        var turn = config.iceServers.some(function (server) {
          return server.credential;
        });
        resolve(turn ? Boolean(types.relay) : Object.keys(types).length > 0);
      }
      pc.addEventListener("icecandidate", function (event) {
        if (!event.candidate) {
          finish();
          return;
        }
        var match = / typ (\w+)/.exec(event.candidate.candidate);
        if (match) {
          types[match[1]] = true;
        }
      });
      setTimeout(finish, GATHER_MS);
      pc.createDataChannel("test");
      pc.createOffer()
        .then(function (offer) {
          return pc.setLocalDescription(offer);
        })
        .catch(finish);
    });
  }

  function testConnection() {
    return fetch(check.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (config) {
        return Promise.all([socketReached(config.socket), candidatesGathered(config)]);
      })
      .then(function (outcomes) {
        return outcomes[0] && outcomes[1];
      })
      .catch(function () {
        return false;
      });
  }

  var stream = null;
  var button = document.getElementById("check-start");

  button.addEventListener("click", function () {
    button.disabled = true;
    var results = document.getElementById("check-results");
    results.hidden = false;
    ["camera", "microphone", "connection"].forEach(function (name) {
      var item = check.querySelector("[data-check='" + name + "']");
      item.dataset.state = "pending";
      item.querySelectorAll("[data-when]").forEach(function (span) {
        span.hidden = span.dataset.when !== "pending";
      });
    });
    var media = stream
      ? Promise.resolve(stream)
      : navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    media
      .then(function (got) {
        if (!stream) {
          stream = got;
          document.getElementById("check-media").hidden = false;
          document.getElementById("check-video").srcObject = stream;
          window.microphoneMeter(stream, document.getElementById("check-level"));
        }
        result("camera", stream.getVideoTracks().some(function (track) { return track.readyState === "live"; }));
        result("microphone", stream.getAudioTracks().some(function (track) { return track.readyState === "live"; }));
      })
      .catch(function () {
        result("camera", false);
        result("microphone", false);
      })
      .then(testConnection)
      .then(function (ok) {
        result("connection", ok);
        button.disabled = false;
        check.dataset.done = "true";
      });
  });

  // "Połącz" leaves for the televisit window, which takes the camera itself.
  var form = document.getElementById("connect-form");
  if (form) {
    form.addEventListener("submit", function () {
      if (stream) {
        stream.getTracks().forEach(function (track) {
          track.stop();
        });
      }
    });
  }
})();
