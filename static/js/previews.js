// Code previews load when their card comes into view, and not before: scrolling
// a list of 200,000 codes asks the server only for the images someone looks at.
// Each image comes from the image endpoint, which the browser revalidates by ETag.
(() => {
  "use strict";

  const show = (link) => {
    const image = new Image(160, 160);
    image.alt = link.dataset.previewAlt || "";
    image.decoding = "async";
    image.src = link.dataset.preview;
    delete link.dataset.preview;
    link.replaceChildren(image);
  };

  const observer = "IntersectionObserver" in window
    ? new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          show(entry.target);
        }
      }
    })
    : null;

  const watch = (root) => {
    for (const link of root.querySelectorAll("[data-preview]")) {
      if (observer) observer.observe(link);
      else show(link);
    }
  };

  // The first page, then every page htmx swaps in as the list scrolls.
  document.addEventListener("DOMContentLoaded", () => watch(document));
  document.addEventListener("htmx:load", (event) => watch(event.detail.elt));
})();
