// What the templates ask of forms with data- attributes, in place of inline handlers
// (onsubmit, oninput, hx-on), which the Content-Security-Policy does not let run
// (docs/security.md). The listeners sit on the document, so whatever htmx swaps in
// later behaves the same.
(() => {
  "use strict";

  // <form data-confirm="Delete this?"> (or such a submit button): sent only once the person
  // agrees. Capturing, so that it runs before any listener of the form's own (htmx's included).
  document.addEventListener("submit", (event) => {
    const message = event.submitter?.dataset.confirm || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <input data-no-preview> inside the code editor: typing in it, or leaving it, does not
  // reach the form, whose input and change events ask for a new preview (which would
  // also replace a request of the form's still on its way, hx-sync "this:replace").
  for (const type of ["input", "change"]) {
    document.addEventListener(type, (event) => {
      if (event.target.closest && event.target.closest("[data-no-preview]")) event.stopPropagation();
    }, true);
  }

  // <input data-shows-in="id">: its value is written into the <output> of that id.
  document.addEventListener("input", (event) => {
    const id = event.target.dataset && event.target.dataset.showsIn;
    const output = id && document.getElementById(id);
    if (output) output.value = event.target.value;
  });

  // <form data-reset-on="202">: emptied when htmx's request was answered with that status.
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (form instanceof HTMLFormElement && form.dataset.resetOn
        && String(event.detail.xhr.status) === form.dataset.resetOn) {
      form.reset();
    }
  });

  // <a hx-get=… data-then-change>: once what it fetched has settled, its form hears a
  // "change" (the code editor then asks for a preview of the applied preset).
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target !== event.detail.target) return; // once per swap, not per element
    const source = event.detail.requestConfig && event.detail.requestConfig.elt;
    const form = source && source.hasAttribute("data-then-change") && source.closest("form");
    if (form) window.htmx.trigger(form, "change");
  });
})();
