// The televisit window (TV-2…TV-8): camera and microphone, the WebRTC call and its signalling over
// /ws/telewizyta/<id>/, the window's functions (Tabela 13) and the chat. The medical employee calls and sends the
// offers; the patient answers. The page holds every text; this script only shows the panel of the call's state.
(function () {
  "use strict";

  var root = document.getElementById("televisit");
  if (!root) {
    return;
  }
  var DOCTOR = root.dataset.role === "doctor";
  var ANSWER_MS = parseInt(root.dataset.answerSeconds, 10) * 1000;
  var DISCONNECTED_GRACE_MS = 3000;
  var RESTART_RETRY_MS = 5000;
  var patientPage = document.getElementById("tv-patient");
  var token = patientPage ? patientPage.dataset.token : null;

  var remoteVideo = document.getElementById("tv-remote");
  var remote = null; // what comes from the other side, both tracks
  var remoteAudio = document.getElementById("tv-remote-audio");
  var localVideo = document.getElementById("tv-local");
  var hangupButton = root.querySelector("[data-action='hangup']");

  var socket = null;
  var socketDelay = 500;
  var iceServers = [];
  var icePolicy = "all";
  var local = null; // the camera and microphone stream
  var pc = null;
  var pendingCandidates = [];
  var state = "loading"; // the shown panel; "call" while the call goes on, with none
  var welcomed = false;
  var videoSenderOf = null;
  var answerTimer = null;
  var restartTimer = null;
  var peerPresent = false;
  var ended = false;
  var rung = false; // the doctor called the patient before his camera and microphone were ready
  var closedForGood = false;
  var cameraOn = true;
  var microphoneOn = true;

  // --- What the window shows ------------------------------------------------------------------------------------

  function show(name) {
    state = name;
    root.dataset.state = name;
    root.querySelectorAll(".tv-panel").forEach(function (panel) {
      panel.hidden = panel.dataset.panel !== name;
    });
    var check = document.getElementById("tv-check");
    if (check) {
      check.hidden = ["notice", "waiting", "ringing"].indexOf(name) === -1;
    }
    hangupButton.disabled = !(pc || name === "calling" || name === "connecting" || name === "reconnecting");
  }

  function setPressed(name, on) {
    var button = root.querySelector("[data-toggle='" + name + "']");
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function showPresence(present) {
    peerPresent = present;
    var line = document.getElementById("tv-presence");
    if (line) {
      line.dataset.present = present ? "true" : "false";
      line.querySelector("[data-when='present']").hidden = !present;
      line.querySelector("[data-when='absent']").hidden = present;
    }
  }

  function chatLine(who, text, mine) {
    var item = document.createElement("li");
    item.className = mine ? "mine" : "theirs";
    var author = document.createElement("strong");
    author.textContent = who + ": ";
    item.appendChild(author);
    item.appendChild(document.createTextNode(text)); // text, never HTML
    var list = document.getElementById("tv-messages");
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  // --- The signalling socket ------------------------------------------------------------------------------------

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  }

  function connectSocket() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.dataset.socket);
    socket.addEventListener("open", function () {
      socketDelay = 500;
      if (token) {
        send({ type: "join", token: token });
      }
    });
    socket.addEventListener("message", function (event) {
      receive(JSON.parse(event.data));
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      if (event.code === 4403 || event.code === 4409) {
        closedForGood = true;
        closeCall();
        show(event.code === 4409 ? "replaced" : "refused");
        return;
      }
      // A network blip or a switch of networks: the call's media go on meanwhile; the socket comes back.
      if (!closedForGood) {
        setTimeout(connectSocket, socketDelay);
        socketDelay = Math.min(socketDelay * 2, 5000);
      }
    });
  }

  function receive(message) {
    switch (message.type) {
      case "welcome":
        iceServers = message.iceServers || [];
        icePolicy = message.iceTransportPolicy || "all";
        welcomed = true;
        if (pc) {
          pc.setConfiguration({ iceServers: iceServers, iceTransportPolicy: icePolicy });
          if (DOCTOR && pc.iceConnectionState !== "connected" && pc.iceConnectionState !== "completed") {
            restartIce();
          }
        } else if (state === "loading") {
          start();
        }
        break;
      case "peer":
        showPresence(message.present);
        if (message.present && DOCTOR) {
          if (state === "calling") {
            send({ type: "call" }); // the patient came while the phone rang: ring him too
          } else if (pc && pc.iceConnectionState !== "connected" && pc.iceConnectionState !== "completed") {
            restartIce();
          }
        }
        break;
      case "call":
        if (!DOCTOR && !pc && !ended) {
          // Answering needs the camera and microphone: while they are still starting, start() rings once they are.
          rung = !local;
          if (local) {
            show("ringing");
          }
        }
        break;
      case "cancel":
        rung = false;
        if (!DOCTOR && state === "ringing") {
          show("waiting");
        }
        break;
      case "accept":
        if (DOCTOR && state === "calling") {
          clearTimeout(answerTimer);
          show("connecting");
          makeOffer(false);
        }
        break;
      case "offer":
        takeOffer(message.sdp);
        break;
      case "answer":
        if (pc) {
          pc.setRemoteDescription({ type: "answer", sdp: message.sdp }).then(flushCandidates);
        }
        break;
      case "ice":
        if (pc && pc.remoteDescription) {
          pc.addIceCandidate(message.candidate).catch(function () {});
        } else {
          pendingCandidates.push(message.candidate);
        }
        break;
      case "restart":
        if (DOCTOR && pc) {
          restartIce();
        }
        break;
      case "state":
        document.getElementById("tv-peer-camera").hidden = message.camera;
        document.getElementById("tv-peer-microphone").hidden = message.microphone;
        break;
      case "chat":
        chatLine(root.dataset.peer, message.text, false);
        if (root.querySelector("[data-toggle='chat']").getAttribute("aria-pressed") !== "true") {
          toggle("chat");
        }
        break;
      case "hangup":
        finish();
        break;
      default:
        emit(message.type, message);
    }
  }

  // --- The call -------------------------------------------------------------------------------------------------

  // After the camera and the socket are there: the doctor calls at once on the visit's day, else shows when the
  // visit is (with Połącz teraz); the patient waits, checking his camera and microphone.
  function start() {
    if (!local || !welcomed) {
      return;
    }
    if (rung) {
      show("ringing");
    } else if (root.querySelector("[data-panel='notice']")) {
      show("notice");
    } else if (DOCTOR) {
      if (root.dataset.autostart === "true") {
        call();
      } else {
        show("ready");
      }
    } else {
      show("waiting");
    }
  }

  function call() {
    ended = false;
    show("calling");
    send({ type: "call" });
    clearTimeout(answerTimer);
    answerTimer = setTimeout(function () {
      if (state === "calling") {
        send({ type: "cancel" });
        show("failed");
      }
    }, ANSWER_MS);
  }

  function newPeerConnection() {
    pc = new RTCPeerConnection({ iceServers: iceServers, iceTransportPolicy: icePolicy });
    pendingCandidates = [];
    videoSenderOf = null;
    remote = new MediaStream();
    remoteVideo.srcObject = remote;
    remoteAudio.srcObject = remote;
    local.getTracks().forEach(function (track) {
      var sender = pc.addTrack(track, local);
      if (track.kind === "video") {
        videoSenderOf = sender;
        if (!cameraOn) {
          sender.replaceTrack(null);
        }
      }
    });
    pc.addEventListener("track", function (event) {
      remote.addTrack(event.track);
      remoteVideo.play().catch(function () {});
      remoteAudio.play().catch(function () {});
    });
    pc.addEventListener("icecandidate", function (event) {
      if (event.candidate) {
        send({ type: "ice", candidate: event.candidate.toJSON() });
      }
    });
    pc.addEventListener("iceconnectionstatechange", iceChanged);
    send({ type: "state", camera: cameraOn, microphone: microphoneOn });
    show("connecting");
  }

  function iceChanged() {
    if (!pc) {
      return;
    }
    var ice = pc.iceConnectionState;
    root.dataset.ice = ice;
    clearTimeout(restartTimer);
    if (ice === "connected" || ice === "completed") {
      show("call");
      emit("connected", { local: local, remote: remote });
      if (DOCTOR) {
        send({ type: "connected" });
      }
    } else if (ice === "failed") {
      restartWhileApart();
    } else if (ice === "disconnected") {
      // Often it heals by itself within a moment (a lost packet burst); if not, the ICE is restarted.
      restartTimer = setTimeout(restartWhileApart, DISCONNECTED_GRACE_MS);
    }
  }

  // A restart made while the way between the browsers is still down (the TURN server away, no network yet) gathers
  // no candidate and leaves ICE disconnected or failed with no further state change to restart on: so it is made
  // again every RESTART_RETRY_MS until they reach each other. While ICE checks candidates it is left to finish.
  function restartWhileApart() {
    if (pc && (pc.iceConnectionState === "disconnected" || pc.iceConnectionState === "failed")) {
      show("reconnecting");
      askRestart();
      restartTimer = setTimeout(restartWhileApart, RESTART_RETRY_MS);
    }
  }

  // Only the doctor offers, so the patient's side asks him to restart.
  function askRestart() {
    if (DOCTOR) {
      restartIce();
    } else {
      send({ type: "restart" });
    }
  }

  function restartIce() {
    if (pc) {
      pc.restartIce();
      makeOffer(true);
    }
  }

  function makeOffer(iceRestart) {
    if (!pc) {
      newPeerConnection();
    }
    pc.createOffer(iceRestart ? { iceRestart: true } : {})
      .then(function (offer) {
        return pc.setLocalDescription(offer);
      })
      .then(function () {
        send({ type: "offer", sdp: pc.localDescription.sdp });
      });
  }

  function takeOffer(sdp) {
    if (DOCTOR || ended) {
      return;
    }
    if (!pc) {
      newPeerConnection();
    }
    pc.setRemoteDescription({ type: "offer", sdp: sdp })
      .then(flushCandidates)
      .then(function () {
        return pc.createAnswer();
      })
      .then(function (answer) {
        return pc.setLocalDescription(answer);
      })
      .then(function () {
        send({ type: "answer", sdp: pc.localDescription.sdp });
      });
  }

  function flushCandidates() {
    var queued = pendingCandidates;
    pendingCandidates = [];
    queued.forEach(function (candidate) {
      pc.addIceCandidate(candidate).catch(function () {});
    });
  }

  function closeCall() {
    clearTimeout(answerTimer);
    clearTimeout(restartTimer);
    if (pc) {
      pc.close();
      pc = null;
    }
    remoteVideo.srcObject = null;
    remoteAudio.srcObject = null;
  }

  // Zakończ telewizytę, on either side: both windows end.
  function finish() {
    emit("ended", {});
    ended = true;
    closeCall();
    show("ended");
    if (!DOCTOR && local) {
      local.getTracks().forEach(function (track) {
        track.stop();
      });
    }
  }

  // --- The window's functions (Tabela 13) -------------------------------------------------------------------------

  function toggle(name) {
    var button = root.querySelector("[data-toggle='" + name + "']");
    var on = button.getAttribute("aria-pressed") !== "true";
    setPressed(name, on);
    if (name === "preview") {
      localVideo.hidden = !on;
    } else if (name === "camera") {
      cameraOn = on;
      var track = local && local.getVideoTracks()[0];
      if (track) {
        track.enabled = on;
        // Off sends nothing at all rather than black frames.
        if (pc && videoSenderOf) {
          videoSenderOf.replaceTrack(on ? track : null);
        }
      }
      send({ type: "state", camera: cameraOn, microphone: microphoneOn });
    } else if (name === "microphone") {
      microphoneOn = on;
      if (local) {
        local.getAudioTracks().forEach(function (audio) {
          audio.enabled = on;
        });
      }
      send({ type: "state", camera: cameraOn, microphone: microphoneOn });
    } else if (name === "sound") {
      remoteAudio.muted = !on;
    } else if (name === "chat") {
      document.getElementById("tv-chat").hidden = !on;
    }
  }

  root.querySelectorAll("[data-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      toggle(button.dataset.toggle);
    });
  });
  root.querySelectorAll("[data-action='call']").forEach(function (button) {
    button.addEventListener("click", call);
  });
  root.querySelectorAll("[data-action='accept']").forEach(function (button) {
    button.addEventListener("click", function () {
      show("connecting");
      send({ type: "accept" });
    });
  });
  hangupButton.addEventListener("click", function () {
    if (state === "calling") {
      send({ type: "cancel" });
    }
    send({ type: "hangup" });
    finish();
  });
  document.getElementById("tv-chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var field = document.getElementById("tv-chat-text");
    var text = field.value.trim();
    if (text) {
      send({ type: "chat", text: text });
      chatLine(root.dataset.me, text, true);
      field.value = "";
    }
  });

  // --- For the window's other scripts (televisit-recording.js, televisit-files.js) --------------------------------
  // They send over the same socket and hear: a message type this script does not handle; "connected" each time the
  // browsers reach each other (again after a reconnection), with both streams; "ended" as the call ends.

  var listeners = {};

  function emit(name, detail) {
    (listeners[name] || []).forEach(function (listener) {
      listener(detail);
    });
  }

  window.televisit = {
    doctor: DOCTOR,
    token: token,
    root: root,
    send: send,
    chatLine: chatLine,
    on: function (name, listener) {
      (listeners[name] = listeners[name] || []).push(listener);
    },
  };

  // --- The pre-call check: the patient's microphone level (microphone-meter.js) -----------------------------------

  function meterMicrophone(stream) {
    var meter = document.getElementById("tv-level");
    if (meter) {
      window.microphoneMeter(stream, meter);
    }
  }

  navigator.mediaDevices
    .getUserMedia({ audio: true, video: true })
    .then(function (stream) {
      local = stream;
      localVideo.srcObject = stream;
      meterMicrophone(stream);
      start();
    })
    .catch(function () {
      show("media");
    });
  show("loading");
  connectSocket();
})();
