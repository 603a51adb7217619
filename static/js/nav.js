// The site menu (base.html): folded into "Menu" on narrow screens, open as a row of links
// on wide ones. The same links serve both, so a screen reader meets them once.
(() => {
  "use strict";
  const menu = document.querySelector(".site-menu");
  if (!menu) return;
  const wide = window.matchMedia("(min-width: 64rem)");
  const follow = () => { menu.open = wide.matches; };
  wide.addEventListener("change", follow);
  follow();
})();
