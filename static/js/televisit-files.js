// Files through the televisit's chat (manual §15.4.2, Tabela 13 "Czat"). The patient clicks the paperclip
// ("Dodaj załącznik"), chooses one file and clicks "Wyślij": the message's text goes over the socket (televisit.js),
// the file is posted to the product, which checks it by its content and keeps it among the visit's documents
// (televisit.documents). The doctor's window hears of it over the socket and shows it with its download link. Names
// are put into the chat as text, never as HTML; the page holds every other text.
(function () {
  "use strict";

  var tv = window.televisit;
  if (!tv) {
    return;
  }
  var chat = document.getElementById("tv-chat");
  var messages = document.getElementById("tv-messages");
  var lang = document.documentElement.lang || "pl";

  // The size in the page's language: "12,1 kB" in Polish, "12.1 kB" in English.
  function sizeLabel(bytes) {
    var units = ["byte", "kilobyte", "megabyte"];
    var unit = 0;
    while (bytes >= 1024 && unit < units.length - 1) {
      bytes /= 1024;
      unit++;
    }
    var format = new Intl.NumberFormat(lang, {
      style: "unit",
      unit: units[unit],
      unitDisplay: "short",
      maximumFractionDigits: 1,
    });
    return format.format(bytes);
  }

  function fileLine(label, name, url, size, mine) {
    var item = document.createElement("li");
    item.className = (mine ? "mine" : "theirs") + " file";
    item.appendChild(document.createTextNode(label + " "));
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.textContent = name; // text, never HTML
    item.appendChild(link);
    if (size !== null) {
      item.appendChild(document.createTextNode(" (" + sizeLabel(size) + ")"));
    }
    messages.appendChild(item);
    messages.scrollTop = messages.scrollHeight;
  }

  if (tv.doctor) {
    tv.on("file", function (message) {
      fileLine(chat.dataset.fileReceived, message.name, message.url, message.size, false);
      var toggle = tv.root.querySelector("[data-toggle='chat']");
      if (toggle.getAttribute("aria-pressed") !== "true") {
        toggle.click();
      }
    });
    return;
  }

  var attach = document.getElementById("tv-attach");
  var input = document.getElementById("tv-chat-file");
  var chosen = document.getElementById("tv-chat-file-name");
  var attachButton = attach.querySelector("[data-action='attach']");
  var detachButton = attach.querySelector("[data-action='detach']");
  var text = document.getElementById("tv-chat-text");
  var error = document.getElementById("tv-chat-error");
  var sending = false;

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  // The chosen file is named beside the paperclip; with one, the message's text may stay empty.
  function showChosen() {
    var file = input.files[0];
    chosen.textContent = file ? file.name : "";
    chosen.title = chosen.textContent; // a long name is cut short beside the paperclip
    chosen.hidden = !file;
    detachButton.hidden = !file;
    text.required = !file;
  }

  function clearChosen() {
    input.value = "";
    showChosen();
  }

  function upload(file) {
    var body = new FormData();
    body.append("file", file);
    sending = true;
    attachButton.disabled = true;
    chosen.textContent = attach.dataset.sending;
    showError("");
    fetch(attach.dataset.upload, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": attach.dataset.csrf },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {}; // a refusal that is no JSON: the link expired meanwhile, a proxy's page
          })
          .then(function (answer) {
            if (!response.ok) {
              throw new Error(answer.error || attach.dataset.failed);
            }
            fileLine(attach.dataset.sent, answer.name, answer.url, null, true);
            clearChosen();
          });
      })
      .catch(function (failure) {
        // A network failure's own text is the browser's, in English: the page's words instead.
        showError(failure instanceof TypeError ? attach.dataset.failed : failure.message);
        showChosen();
      })
      .finally(function () {
        sending = false;
        attachButton.disabled = false;
      });
  }

  attachButton.addEventListener("click", function () {
    input.click();
  });
  detachButton.addEventListener("click", clearChosen);
  input.addEventListener("change", function () {
    showError("");
    showChosen();
  });
  // After televisit.js's own listener, which has sent the text (if any): "Wyślij" sends the file too.
  document.getElementById("tv-chat-form").addEventListener("submit", function () {
    var file = input.files[0];
    if (file && !sending) {
      upload(file);
    }
  });
})();
