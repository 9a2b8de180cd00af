// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Login: send the browser's time zone, used until the user picks one.
  document.querySelectorAll("input[data-browser-tz]").forEach(function (input) {
    try { input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* keep empty */ }
  });

  // Bars of the SLA page: widths come from data attributes (no inline styles under our CSP).
  document.querySelectorAll(".bar [data-share]").forEach(function (el) {
    el.style.width = Math.max(0, Math.min(100, Number(el.dataset.share) || 0)) + "%";
  });

  // Queue keys: j/k move between threads, Enter opens, / jumps to the filters.
  var links = Array.prototype.slice.call(document.querySelectorAll("a[data-row-link]"));
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
    if (typing || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "/") {
      var first = document.querySelector(".filters select, .filters input");
      if (first) { event.preventDefault(); first.focus(); }
      return;
    }
    if (!links.length || (event.key !== "j" && event.key !== "k")) { return; }
    var at = links.indexOf(document.activeElement);
    var next = event.key === "j" ? Math.min(links.length - 1, at + 1) : Math.max(0, at - 1);
    event.preventDefault();
    links[next].focus();
  });
})();
