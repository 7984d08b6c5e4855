// Nagrywanie telewizyty (TV-6, manual §15.4.1, Tabela 13). The doctor's browser records the call from the moment the
// two sides connect: both pictures side by side (the patient's on the left) and both voices. "Nagrywanie" pauses and
// resumes the recording without ending the call; at the end the browser saves it as a WebM file, which plays when
// dropped into a browser tab. Where the clinic attaches recordings to visits (data-upload), the recording also goes to
// the product while it is made, chunk by chunk, resuming by itself after a lost connection (televisit.recordings).
// The patient's window shows "Nagrywanie" while the doctor records.
(function () {
  "use strict";

  var tv = window.televisit;
  if (!tv) {
    return;
  }
  var indicator = document.getElementById("tv-recording");

  if (!tv.doctor) {
    tv.on("recording", function (message) {
      indicator.hidden = !message.on;
    });
    tv.on("ended", function () {
      indicator.hidden = true;
    });
    return;
  }

  var CHUNK_MS = 4000;
  var FRAME_MS = 66; // 15 frames a second: a conversation, not a film
  var WIDTH = 1280;
  var HEIGHT = 480;
  var button = tv.root.querySelector("[data-action='recording']");
  var recorder = null;
  var parts = [];
  var recordedMs = 0; // pauses excluded
  var resumedAt = 0;
  var stopRecording = null; // releases what the recording holds: its clock, its canvas, its audio
  var upload = null;

  function announce(on) {
    indicator.hidden = !on;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    tv.send({ type: "recording", on: on });
  }

  function videoOf(stream) {
    var video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream(stream.getVideoTracks());
    video.play().catch(function () {});
    return video;
  }

  // A picture fitted into its half, letterboxed; no picture (a camera off) leaves the half black.
  function fit(context, video, left) {
    if (video.readyState < 2 || !video.videoWidth) {
      return;
    }
    var scale = Math.min(WIDTH / 2 / video.videoWidth, HEIGHT / video.videoHeight);
    var width = video.videoWidth * scale;
    var height = video.videoHeight * scale;
    context.drawImage(video, left + (WIDTH / 2 - width) / 2, (HEIGHT - height) / 2, width, height);
  }

  function recordedStream(local, remote) {
    var canvas = document.createElement("canvas");
    canvas.width = WIDTH;
    canvas.height = HEIGHT;
    var context = canvas.getContext("2d");
    var theirs = videoOf(remote);
    var mine = videoOf(local);
    var clock = new Worker(tv.root.dataset.clock);
    clock.addEventListener("message", function () {
      context.fillStyle = "#000";
      context.fillRect(0, 0, WIDTH, HEIGHT);
      fit(context, theirs, 0);
      fit(context, mine, WIDTH / 2);
    });
    clock.postMessage(FRAME_MS);

    var audio = new AudioContext();
    var mix = audio.createMediaStreamDestination();
    [local, remote].forEach(function (stream) {
      if (stream.getAudioTracks().length) {
        audio.createMediaStreamSource(new MediaStream(stream.getAudioTracks())).connect(mix);
      }
    });
    // A tab opened by a click in another tab may start with its audio suspended until the doctor clicks in it.
    audio.resume().catch(function () {});
    document.addEventListener("click", function () {
      audio.resume().catch(function () {});
    });

    stopRecording = function () {
      clock.terminate();
      theirs.srcObject = null;
      mine.srcObject = null;
      audio.close();
    };
    return new MediaStream([canvas.captureStream(1000 / FRAME_MS).getVideoTracks()[0], mix.stream.getAudioTracks()[0]]);
  }

  function start(streams) {
    if (recorder || !streams.local || !streams.remote || !window.MediaRecorder) {
      return;
    }
    var type = ["video/webm;codecs=vp8,opus", "video/webm"].filter(function (candidate) {
      return MediaRecorder.isTypeSupported(candidate);
    })[0];
    recorder = new MediaRecorder(recordedStream(streams.local, streams.remote), {
      mimeType: type,
      videoBitsPerSecond: 1000000,
      audioBitsPerSecond: 64000,
    });
    parts = [];
    recordedMs = 0;
    upload = indicator.dataset.upload ? uploader(indicator.dataset.upload, indicator.dataset.csrf) : null;
    recorder.addEventListener("dataavailable", function (event) {
      if (event.data.size) {
        parts.push(event.data);
        if (upload) {
          upload.add(event.data);
        }
      }
    });
    recorder.start(CHUNK_MS);
    resumedAt = Date.now();
    button.disabled = false;
    announce(true);
  }

  function toggle() {
    if (!recorder) {
      return;
    }
    if (recorder.state === "recording") {
      recorder.pause();
      recordedMs += Date.now() - resumedAt;
      announce(false);
    } else if (recorder.state === "paused") {
      recorder.resume();
      resumedAt = Date.now();
      announce(true);
    }
  }

  function save() {
    var seconds = Math.round(recordedMs / 1000);
    var blob = new Blob(parts, { type: "video/webm" });
    var link = document.getElementById("tv-saved-link");
    link.href = URL.createObjectURL(blob);
    link.download = fileName(new Date());
    link.click();
    document.getElementById("tv-saved").hidden = false;
    tv.send({ type: "recorded", seconds: seconds });
    if (upload) {
      upload.finish(seconds);
    }
  }

  function end() {
    if (!recorder) {
      return;
    }
    var finished = recorder;
    recorder = null;
    button.disabled = true;
    if (finished.state === "recording") {
      recordedMs += Date.now() - resumedAt;
    }
    announce(false);
    finished.addEventListener("stop", function () {
      stopRecording();
      save();
    });
    finished.stop();
  }

  // telewizyta-2026-12-05-0930.webm: the call's date and time, never the patient's name.
  function fileName(when) {
    function two(number) {
      return (number < 10 ? "0" : "") + number;
    }
    return (
      "telewizyta-" + when.getFullYear() + "-" + two(when.getMonth() + 1) + "-" + two(when.getDate()) + "-" +
      two(when.getHours()) + two(when.getMinutes()) + ".webm"
    );
  }

  // --- The upload to the visit: in order, each chunk until the product has it; resumable ---------------------------

  function uploader(startUrl, csrf) {
    var urls = null;
    var pending = []; // chunks the product has not acknowledged, the first being chunk number `sent`
    var sent = 0;
    var finishing = null; // the recording's seconds, once it ended
    var busy = false;
    var done = false;
    var failed = false;
    var delay = 1000;
    var status = document.getElementById("tv-upload");

    function show(name, text) {
      status.hidden = false;
      status.querySelectorAll("[data-when]").forEach(function (line) {
        line.hidden = line.dataset.when !== name;
        if (text && line.dataset.when === name) {
          line.textContent = text;
        }
      });
    }

    function fail(text) {
      failed = true;
      show("failed", text);
    }

    // 2xx and 409 say which chunk the product expects next; a server error is tried again; any other answer (a
    // refusal, the login page of an expired session) ends the upload — the file saved in the browser remains.
    function answered(step, response) {
      if (response.status >= 500) {
        throw new Error("retry");
      }
      if (response.type === "opaqueredirect") {
        fail();
        return null;
      }
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          if (!response.ok && response.status !== 409) {
            fail(data.error);
          } else if (step === "start") {
            urls = data;
          } else if (typeof data.next !== "number" || data.next < sent) {
            fail();
          } else {
            pending = pending.slice(data.next - sent);
            sent = data.next;
            if (step === "finish" && response.ok) {
              done = true;
              show("done");
            }
          }
        });
    }

    function pump() {
      if (busy || done || failed) {
        return;
      }
      var step, url, body;
      var headers = { "X-CSRFToken": csrf };
      if (!urls) {
        step = "start";
        url = startUrl;
      } else if (pending.length) {
        step = "chunk";
        url = urls.chunk_url.replace(/\/0\/$/, "/" + sent + "/");
        body = pending[0];
      } else if (finishing !== null) {
        step = "finish";
        url = urls.finish_url;
        body = JSON.stringify({ chunks: sent, seconds: finishing });
        headers["Content-Type"] = "application/json";
      } else {
        return;
      }
      busy = true;
      fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin", redirect: "manual" })
        .then(function (response) {
          return answered(step, response);
        })
        .then(function () {
          busy = false;
          delay = 1000;
          pump();
        })
        .catch(function () {
          // The product or the network is down: try again, less and less often, for as long as the window is open.
          busy = false;
          if (finishing !== null) {
            show("retrying");
          }
          setTimeout(pump, delay);
          delay = Math.min(delay * 2, 30000);
        });
    }

    window.addEventListener("beforeunload", function (event) {
      if (!done && !failed) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    return {
      add: function (chunk) {
        pending.push(chunk);
        pump();
      },
      finish: function (seconds) {
        finishing = seconds;
        if (!done && !failed) {
          show("sending");
        }
        pump();
      },
    };
  }

  window.addEventListener("beforeunload", function (event) {
    if (recorder) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  button.addEventListener("click", toggle);
  tv.on("connected", start);
  tv.on("ended", end);
})();
