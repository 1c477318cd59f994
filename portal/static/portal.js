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
  window.addEventListener("message", function (event) {
    var frame = document.getElementById("embed-frame");
    if (!frame || event.origin !== location.origin || event.source !== frame.contentWindow) return;
    if (event.data && event.data.type === "rentcal:resize") frame.style.height = Math.ceil(event.data.height) + "px";
  });
})();
