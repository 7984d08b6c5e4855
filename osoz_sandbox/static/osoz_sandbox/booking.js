// The booking form: "Chcę przesłać lekarzowi dodatkową informację" reveals the note; without JavaScript the note is
// simply always shown. A hidden note is disabled, so it is not sent.
document.addEventListener("DOMContentLoaded", () => {
  const wanted = document.getElementById("id_note_wanted");
  const box = document.querySelector(".note-field");
  if (!wanted || !box) return;
  const note = box.querySelector("textarea");
  const sync = () => {
    box.hidden = !wanted.checked;
    note.disabled = !wanted.checked;
  };
  wanted.addEventListener("change", sync);
  sync();
});
