// The code editor after a refused save (qrcodes/edit.html): a field's inline error goes
// once the field is edited, and the banner once no field is marked wrong, so that what is
// still shown is still true. A save that is wrong again brings them back.
// And a save sent while a preview is on its way waits for it: leaving the page would cut
// the preview's request, which htmx reports as an error (htmx:sendAbort).
(() => {
  "use strict";

  const PREVIEW_WAIT_MS = 3000;

  function clearField(field) {
    if (field.getAttribute("aria-invalid") !== "true") return;
    field.removeAttribute("aria-invalid");
    const note = field.name && document.getElementById(`${field.name.replace(/\./g, "-")}-error`);
    if (note) note.hidden = true;
    const form = field.form;
    if (form && !form.querySelector("[aria-invalid='true']")) {
      for (const banner of document.querySelectorAll(`[data-refusal="${form.id}"]`)) banner.hidden = true;
    }
  }

  for (const type of ["input", "change"]) {
    document.addEventListener(type, (event) => {
      if (event.target.form) clearField(event.target);
    }, true);
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("hx-post")) return;
    const waiting = form.dataset.saving !== "sent" && form.classList.contains("htmx-request");
    form.dataset.saving = waiting ? "waiting" : "sent";
    if (!waiting) return;
    event.preventDefault();
    const submitter = event.submitter;
    const send = () => {
      if (form.dataset.saving === "sent") return;
      form.dataset.saving = "sent";
      form.requestSubmit(submitter);
    };
    form.addEventListener("htmx:afterRequest", () => setTimeout(send), { once: true });
    setTimeout(send, PREVIEW_WAIT_MS);
  });

  // Once saving, no new preview starts (a field left by the click on Save asks for one).
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.elt.dataset && event.detail.elt.dataset.saving) event.preventDefault();
  });
})();
