/* Rentcal availability widget embed: <script src="https://HOST/widget/embed.js" data-company="demo"
   data-product="42" async></script>, options data-locale, data-accent, data-first-day, data-title.
   Puts a sandboxed iframe after each such script tag, sizes it to its content and re-dispatches its
   events on the iframe element (they bubble): rentcal:dates-selected {from, to},
   rentcal:booking-requested {bookingId}. No dependencies, no other requests. */
(function () {
  "use strict";
  var registry = window.__rentcalWidgets = window.__rentcalWidgets || { frames: {}, count: 0 };

  function onMessage(event) {
    var data = event.data;
    if (!data || typeof data.type !== "string" || data.type.indexOf("rentcal:") !== 0) return;
    var widget = registry.frames[data.widgetId];
    if (!widget || event.origin !== widget.origin || event.source !== widget.frame.contentWindow) return;
    if (data.type === "rentcal:resize") {
      var height = Math.ceil(Number(data.height));
      if (height > 0 && height < 10000) widget.frame.style.height = height + "px";
      return;
    }
    var detail = { widgetId: data.widgetId, company: widget.company, product: widget.product };
    if (data.type === "rentcal:dates-selected") { detail.from = data.from; detail.to = data.to; }
    else if (data.type === "rentcal:booking-requested") detail.bookingId = data.bookingId;
    else return;
    widget.frame.dispatchEvent(new CustomEvent(data.type, { bubbles: true, detail: detail }));
  }

  function mount(script) {
    script.setAttribute("data-rentcal-mounted", "");
    var origin = new URL(script.src, location.href).origin;
    var d = script.dataset;
    var id = "rentcal-" + (++registry.count) + "-" + Math.random().toString(36).slice(2, 8);
    var query = new URLSearchParams({ wid: id, host: location.origin });
    if (d.locale) query.set("locale", d.locale);
    if (d.accent) query.set("accent", d.accent);
    if (d.firstDay) query.set("first_day", d.firstDay);
    var frame = document.createElement("iframe");
    frame.id = id;
    frame.title = d.title || "Availability calendar";
    frame.setAttribute("sandbox", "allow-scripts allow-forms allow-same-origin");
    frame.style.cssText = "display:block;width:100%;max-width:480px;height:520px;border:0;";
    frame.src = origin + "/widget/" + encodeURIComponent(d.company) + "/" + encodeURIComponent(d.product) + "?" + query;
    registry.frames[id] = { frame: frame, origin: origin, company: d.company, product: d.product };
    script.parentNode.insertBefore(frame, script.nextSibling);
  }

  if (!registry.listening) {
    window.addEventListener("message", onMessage);
    registry.listening = true;
  }
  // Every copy of this script runs; each mounts the tags not mounted yet, so any number of widgets works.
  var scripts = document.querySelectorAll("script[data-company][data-product]:not([data-rentcal-mounted])");
  for (var i = 0; i < scripts.length; i++) {
    if (/\/widget\/embed\.js(\?|#|$)/.test(scripts[i].src)) mount(scripts[i]);
  }
})();
