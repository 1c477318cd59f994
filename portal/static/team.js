/* Team calendar: drag a bar to move it (in time, to another unit or person), drag its right edge to resize.
   The drop fills the hidden #team-drag form, which HTMX posts to /portal/team/move; the server answers with the
   grid (moved, with an undo; or unchanged, with the reason). The form beside the grid does the same by keyboard. */
(function () {
  "use strict";
  var EDGE = 8; // px at the right end of a bar that resize instead of move
  var drag = null;

  function snapMinutes(grid) { return grid.dataset.view === "month" ? 1440 : 60; }

  function start(event) {
    var bar = event.target.closest(".bar[data-movable]");
    if (!bar || event.button !== 0) return;
    var grid = bar.closest("#team-grid");
    var track = bar.closest("td.track");
    var table = bar.closest("table");
    var days = parseInt(table.style.getPropertyValue("--days"), 10) || 7;
    var rect = bar.getBoundingClientRect();
    drag = {
      bar: bar, grid: grid, row: bar.closest("tr[data-row]").dataset.row,
      x: event.clientX, y: event.clientY, width: rect.width, moved: false,
      resize: event.clientX > rect.right - EDGE, minutesPerPx: (days * 1440) / track.getBoundingClientRect().width
    };
    bar.setPointerCapture(event.pointerId);
  }

  function move(event) {
    if (!drag) return;
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 5) return;
    drag.moved = true;
    drag.bar.classList.add("dragging");
    if (drag.resize) drag.bar.style.width = Math.max(8, drag.width + dx) + "px";
    else drag.bar.style.transform = "translate(" + dx + "px," + dy + "px)";
  }

  function rowAt(x, y, dragged) {
    // The dragged bar is under the pointer but still belongs to its old row: look through it.
    var found = document.elementsFromPoint(x, y).filter(function (el) { return !dragged.contains(el); });
    var rows = found.map(function (el) { return el.closest("tr[data-row]"); });
    return rows.filter(Boolean)[0] || null;
  }

  function finish(event) {
    if (!drag) return;
    var d = drag;
    drag = null;
    if (!d.moved) return; // a click: follow the link
    var snap = snapMinutes(d.grid);
    var minutes = Math.round(((event.clientX - d.x) * d.minutesPerPx) / snap) * snap;
    var form = document.getElementById("team-drag");
    var row = d.resize ? null : rowAt(event.clientX, event.clientY, d.bar);
    form.elements.key.value = d.bar.dataset.key;
    form.elements.shift_minutes.value = d.resize ? 0 : minutes;
    form.elements.resize_minutes.value = d.resize ? minutes : 0;
    form.elements.unit_id.value = "";
    form.elements.staff_id.value = "keep";
    if (row && row.dataset.row !== d.row) {
      if (d.grid.dataset.by === "unit") form.elements.unit_id.value = row.dataset.row;
      else form.elements.staff_id.value = row.dataset.row === "unassigned" ? "none" : row.dataset.row;
    }
    // The link under the pointer must not open after a drag.
    d.bar.addEventListener("click", function (e) { e.preventDefault(); }, { once: true });
    if (minutes === 0 && form.elements.unit_id.value === "" && form.elements.staff_id.value === "keep") {
      d.bar.style.transform = ""; d.bar.style.width = ""; d.bar.classList.remove("dragging");
      return;
    }
    form.requestSubmit();
  }

  document.addEventListener("dragstart", function (e) {
    if (e.target.closest && e.target.closest(".bar[data-movable]")) e.preventDefault(); // no native link drag
  });
  document.addEventListener("pointerdown", start);
  document.addEventListener("pointermove", move);
  document.addEventListener("pointerup", finish);
  document.addEventListener("pointercancel", function () { drag = null; });
  // The create form opened from an empty cell: Close (or Escape) removes it and returns to the grid.
  function closeCreate() {
    var box = document.getElementById("team-create");
    if (box && box.firstElementChild) { box.innerHTML = ""; var t = document.getElementById("team-title"); if (t) { t.tabIndex = -1; t.focus(); } }
  }
  document.addEventListener("click", function (e) { if (e.target.closest("#team-create-close")) closeCreate(); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && e.target.closest && e.target.closest("#team-create")) closeCreate(); });
})();
