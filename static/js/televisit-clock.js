// The recording's frame clock (televisit-recording.js): a worker's timer keeps its pace while the televisit's tab is
// in the background — the doctor writing the visit's notes in the product's tab (TV-7) — where the page's own timers
// and animation frames are slowed to a crawl or stopped.
self.addEventListener("message", function (event) {
  setInterval(function () {
    self.postMessage(0);
  }, event.data);
});
