// Portal behaviour that would otherwise be inline script (the Content-Security-Policy allows
// scripts from this origin only): confirmations of plain forms, and the embed page's helpers.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
  // "Embed on your website": copy the snippet, and size the preview like embed.js sizes the widget.
  document.addEventListener("click", function (event) {
    if (!event.target.closest("#copy-snippet")) return;
    var box = document.getElementById("embed-snippet"), done = document.getElementById("copy-status");
    function copied() { done.textContent = "Copied to the clipboard."; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(copied, function () { box.select(); done.textContent = "Press Ctrl+C to copy."; });
    } else { box.select(); document.execCommand("copy"); copied(); }
  });
  // Every HTMX request shows a thin bar at the top while it runs (and marks the page busy for screen readers).
  var running = 0;
  function busy(delta) {
    running = Math.max(0, running + delta);
    document.body.classList.toggle("loading", running > 0);
    if (running > 0) document.body.setAttribute("aria-busy", "true"); else document.body.removeAttribute("aria-busy");
  }
  document.addEventListener("htmx:beforeRequest", function () { busy(1); });
  document.addEventListener("htmx:afterRequest", function () { busy(-1); });
  // An HTMX request that failed without a fragment to show: say why in words, never as raw JSON.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr, text = "That did not work. Please try again.";
    try { var body = JSON.parse(xhr.responseText); if (body && body.detail) text = body.detail; } catch (e) { /* not JSON */ }
    var box = document.getElementById("portal-alert");
    if (!box) return;
    box.textContent = text.charAt(0).toUpperCase() + text.slice(1);
    box.hidden = false;
  });
  window.addEventListener("message", function (event) {
    var frame = document.getElementById("embed-frame");
    if (!frame || event.origin !== location.origin || event.source !== frame.contentWindow) return;
    if (event.data && event.data.type === "rentcal:resize") frame.style.height = Math.ceil(event.data.height) + "px";
  });
})();
