// The microphone's level on a <meter> while the patient speaks: the televisit window's pre-call check and the portal's
// "Połączenie testowe" (portal-visit.js) show the same one.
(function () {
  "use strict";

  window.microphoneMeter = function (stream, meter) {
    if (!meter || !window.AudioContext) {
      return;
    }
    var context = new AudioContext();
    var analyser = context.createAnalyser();
    analyser.fftSize = 512;
    context.createMediaStreamSource(stream).connect(analyser);
    var samples = new Uint8Array(analyser.fftSize);
    // Browsers start an AudioContext suspended until the page is clicked.
    document.addEventListener("click", function () {
      context.resume();
    });
    setInterval(function () {
      analyser.getByteTimeDomainData(samples);
      var sum = 0;
      for (var i = 0; i < samples.length; i++) {
        var value = (samples[i] - 128) / 128;
        sum += value * value;
      }
      meter.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
    }, 100);
  };
})();
