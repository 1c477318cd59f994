/* Rentcal widget page: pickup-to-return selection on an ARIA grid, keyboard moves, size and events
   for the host page. The server re-checks every range; this only gives instant, announced feedback. */
(function () {
  "use strict";
  var root = document.getElementById("rc");
  if (!root) return;
  var S = JSON.parse(document.getElementById("rc-strings").textContent);
  var statusBox = document.getElementById("rc-status");
  var errorBox = document.getElementById("rc-error");
  var request = document.getElementById("rc-request");
  var FIELDS = ["name", "email", "phone"];
  var STEP = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
  var known = {}; // ISO date -> {status, label}, for every month seen: ranges may span months
  var pickup = null, ret = null, pendingFocus = null, saved = {};
  var returns = null; // for the chosen pickup day: ISO date -> null (can be the return day) or why not

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, key) { return key in values ? values[key] : m; });
  }
  function addDays(iso, n) {
    var d = new Date(iso + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  function cells() { return root.querySelectorAll("td[data-date]"); }
  function cell(iso) { return document.getElementById("rc-" + iso); }
  function label(iso) { return known[iso] ? known[iso].label : iso; }
  function say(text) { errorBox.textContent = ""; statusBox.textContent = text; }
  function refuse(text) { statusBox.textContent = ""; errorBox.textContent = text; }
  function blocked(iso) { var k = known[iso]; return !k || k.status === "closed" || k.status === "unavailable" || k.status === "past"; }

  function post(type, data) {
    if (window.parent === window) return;
    data.type = type;
    data.widgetId = root.dataset.widgetId;
    window.parent.postMessage(data, root.dataset.host || "*");
  }
  function resize() {
    post("rentcal:resize", { height: Math.ceil(document.documentElement.getBoundingClientRect().height) });
  }

  function learn() {
    cells().forEach(function (c) { known[c.dataset.date] = { status: c.dataset.status, label: c.dataset.label }; });
  }
  function paint() {
    cells().forEach(function (c) {
      var d = c.dataset.date;
      var inRange = !!pickup && (d === pickup || (!!ret && d > pickup && d <= ret));
      c.setAttribute("aria-selected", inRange ? "true" : "false");
      c.classList.toggle("rc-end", d === pickup || d === ret);
      var why = returns && pickup && !ret && d > pickup ? returns.days[d] : undefined;
      var refused = why !== undefined && why !== null;
      c.classList.toggle("rc-noreturn", refused);
      if (refused) c.setAttribute("data-return-refusal", why); else c.removeAttribute("data-return-refusal");
      if (known[d]) c.setAttribute("aria-disabled", refused || blocked(d) ? "true" : "false");
    });
  }
  function rove() {
    var all = cells();
    if (!all.length) return;
    var active = document.activeElement;
    var target = (pendingFocus && cell(pendingFocus)) ||
      (active && active.matches && active.matches("td[data-date]") ? active : null) ||
      (pickup && cell(pickup)) || root.querySelector('td[data-date][aria-disabled="false"]') || all[0];
    all.forEach(function (c) { c.tabIndex = -1; });
    target.tabIndex = 0;
    if (pendingFocus) { pendingFocus = null; target.focus(); }
  }
  function focusCell(c) {
    cells().forEach(function (x) { x.tabIndex = -1; });
    c.tabIndex = 0;
    c.focus();
  }
  function move(iso) {
    var target = cell(iso);
    if (target) return focusCell(target);
    var button = document.getElementById(iso < cells()[0].dataset.date ? "rc-prev" : "rc-next");
    if (!button || button.disabled) return;
    pendingFocus = iso;
    // htmx.ajax rather than a click: a button swapped in a moment ago is wired up only when it settles
    htmx.ajax("GET", button.getAttribute("hx-get"), { target: "#rc-month", swap: "outerHTML" });
  }

  function keep() {
    FIELDS.forEach(function (name) { var input = document.getElementById("rc-" + name); if (input) saved[name] = input.value; });
  }
  function restore() {
    FIELDS.forEach(function (name) {
      var input = document.getElementById("rc-" + name);
      if (input && !input.value && saved[name]) input.value = saved[name];
    });
  }
  function clearForm() { keep(); request.innerHTML = ""; }
  function refusal(iso) {
    var status = known[iso] ? known[iso].status : "";
    var text = status === "closed" ? S.crosses_closed : status === "past" ? S.in_past : S.crosses_unavailable;
    return fmt(text, { date: label(iso) });
  }

  function loadReturns(day) {
    // The server computes which return days can be booked (one unit free all along, open that day).
    var url = new URL(root.dataset.returnsUrl, location.href);
    url.searchParams.set("pickup", day);
    fetch(url.pathname + url.search, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (!answer || answer.pickup !== pickup || ret) return;
        if (answer.refusal) { pickup = null; returns = null; paint(); return refuse(answer.refusal); }
        returns = answer;
        paint();
      })
      .catch(function () {});
  }

  function choose(iso) {
    var picking = !pickup || ret || iso < pickup;
    if (picking && blocked(iso)) return refuse(refusal(iso));
    if (picking) {
      pickup = iso;
      ret = null;
      returns = null;
      clearForm();
      paint();
      loadReturns(iso);
      return say(fmt(S.pickup_chosen, { date: label(iso) }));
    }
    if (returns && returns.days[iso]) return refuse(returns.days[iso]);
    if (!returns && (known[iso] || {}).status === "past") return refuse(refusal(iso));
    ret = iso;
    paint();
    say(fmt(S.range_chosen, { pickup: label(pickup), "return": label(ret) }));
    post("rentcal:dates-selected", { from: pickup, to: ret });
    var url = new URL(root.dataset.requestUrl, location.href);
    url.searchParams.set("pickup", pickup);
    url.searchParams.set("return", ret);
    htmx.ajax("GET", url.pathname + url.search, { target: "#rc-request", swap: "innerHTML" });
  }
  function clearAll() {
    pickup = ret = returns = null;
    paint();
    clearForm();
    say(S.cleared);
  }

  root.addEventListener("click", function (e) {
    var day = e.target.closest("td[data-date]");
    if (day) { focusCell(day); choose(day.dataset.date); }
    if (e.target.closest("#rc-again")) {
      request.innerHTML = "";
      statusBox.textContent = "";
      rove();
      var current = root.querySelector('td[tabindex="0"]');
      if (current) current.focus();
    }
  });
  root.addEventListener("keydown", function (e) {
    var day = e.target.closest && e.target.closest("td[data-date]");
    if (!day) return;
    if (Object.prototype.hasOwnProperty.call(STEP, e.key)) move(addDays(day.dataset.date, STEP[e.key]));
    else if (e.key === "Enter" || e.key === " ") choose(day.dataset.date);
    else if (e.key === "Escape") clearAll();
    else return;
    e.preventDefault();
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    learn();
    var done = document.getElementById("rc-done");
    var thanked = done && !done.hasAttribute("data-announced");
    if (done) { pickup = ret = returns = null; saved = {}; }
    paint();
    rove();
    restore();
    if (thanked) {
      // the request is done: the "... selected." status goes, focus moves to the confirmation
      done.setAttribute("data-announced", "");
      statusBox.textContent = "";
      errorBox.textContent = "";
      document.getElementById("rc-done-title").focus();
    }
  });
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target !== request) return;
    if (e.detail.requestConfig.verb === "get") {
      // a form for a range that is no longer selected (changed or cleared meanwhile) is dropped
      var asked = new URL(e.detail.xhr.responseURL).searchParams;
      if (asked.get("pickup") !== pickup || asked.get("return") !== ret) { e.detail.shouldSwap = false; return; }
    }
    keep();
  });
  document.body.addEventListener("htmx:responseError", function (e) {
    refuse(e.detail.xhr.status === 429 ? S.rate_limited : S.failed);
  });
  document.body.addEventListener("htmx:sendError", function () { refuse(S.failed); });
  document.body.addEventListener("rentcal:booked", function (e) {
    post("rentcal:booking-requested", { bookingId: e.detail.bookingId });
  });

  learn();
  paint();
  rove();
  if (window.ResizeObserver) new ResizeObserver(resize).observe(document.body);
  resize();
})();
