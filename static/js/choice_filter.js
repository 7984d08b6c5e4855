// A filter over a list of checkboxes (Harmonogram › Usługi): typing part of a name narrows the list to the labels
// that contain it, ignoring case and Polish diacritics. Without JavaScript the filter stays hidden and the whole list
// is shown. The lists are drawn again by htmx, so the filter is applied again after every swap.
(function () {
  "use strict";

  function normalised(text) {
    return text.toLocaleLowerCase("pl").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/ł/g, "l");
  }

  function apply(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list) {
      return;
    }
    var wanted = normalised(input.value.trim());
    var shown = 0;
    list.querySelectorAll("label").forEach(function (label) {
      var match = !wanted || normalised(label.textContent).indexOf(wanted) !== -1;
      label.style.display = match ? "" : "none";
      shown += match ? 1 : 0;
    });
    var empty = list.querySelector("[data-choice-filter-empty]");
    if (empty) {
      empty.hidden = !(wanted && shown === 0);
    }
  }

  function applyAll() {
    document.querySelectorAll("[data-choice-filter]").forEach(function (filter) {
      filter.hidden = false;
    });
    document.querySelectorAll("[data-choice-filter-input]").forEach(apply);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-choice-filter-input]")) {
      apply(event.target);
    }
  });
  // Enter in the filter would submit the schedule's form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("[data-choice-filter-input]")) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:afterSettle", applyAll);
  document.addEventListener("DOMContentLoaded", applyAll);
})();
