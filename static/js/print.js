// "Drukuj" buttons (data-print): the browser's print dialog, since inline handlers are refused by the CSP.
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
