// /api/docs: Swagger UI draws the OpenAPI document named by #api-reference's data-spec.
(() => {
  "use strict";
  const root = document.getElementById("api-reference");
  if (!root || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    // Without deep links: they put a link inside each operation's button (nested-interactive).
    deepLinking: false,
    // No call home for a newer version, no validator badge fetched from swagger.io.
    validatorUrl: null,
  });
})();
