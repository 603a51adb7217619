// Copy buttons (templates/_copy.html): <button data-copy="text"> or data-copy-from="id"
// (an input's value, or an element's text). The Clipboard API needs a secure context, which
// a self-hosted Scanlink on plain http is not: then the text is selected and copied with
// execCommand, which still works there. "Copied" shows on the button and is announced.
(() => {
  "use strict";

  const SHOWN_MS = 2000;

  function textOf(button) {
    if (button.dataset.copy !== undefined) return button.dataset.copy;
    const source = document.getElementById(button.dataset.copyFrom);
    if (!source) return "";
    return "value" in source ? source.value : source.textContent.trim();
  }

  function copyBySelection(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.append(area);
    area.select();
    let done = false;
    try { done = document.execCommand("copy"); } catch (error) { done = false; }
    area.remove();
    return done;
  }

  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (error) {
        // Refused (no permission, page not focused): the old way may still work.
      }
    }
    return copyBySelection(text);
  }

  function show(button, message) {
    const status = button.nextElementSibling;
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = message;
    if (status && status.matches(".copy-status")) status.textContent = message;
    clearTimeout(button._copyTimer);
    button._copyTimer = setTimeout(() => {
      button.textContent = label;
      if (status && status.matches(".copy-status")) status.textContent = "";
    }, SHOWN_MS);
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest && event.target.closest("[data-copy], [data-copy-from]");
    if (!button) return;
    event.preventDefault();
    const done = await copy(textOf(button));
    show(button, done ? "Copied" : "Press Ctrl+C to copy");
    if (!done && button.dataset.copyFrom) {
      const source = document.getElementById(button.dataset.copyFrom);
      if (source && source.select) source.select();
    }
  });
})();
