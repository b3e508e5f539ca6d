// cscbook: mark table boxes that are wider than the screen, so the CSS can say "scroll sideways".
(function () {
  function mark() {
    document.querySelectorAll(".cscbook-scroll").forEach(function (box) {
      box.classList.toggle("cscbook-overflows", box.scrollWidth > box.clientWidth + 1);
    });
  }
  window.addEventListener("load", mark);
  window.addEventListener("resize", mark);
  if (document.readyState !== "loading") { mark(); } else { document.addEventListener("DOMContentLoaded", mark); }
})();
