// Lịch chọn ngày — the date picker of the pages' dd/mm/yyyy fields (input[data-lich], written by the
// ``input`` macro of _macros.html). A file of this origin, no inline script or style: the pages'
// Content-Security-Policy allows nothing else. Without it the field still takes a typed dd/mm/yyyy date.
//
// Each field gets a "Lịch" button that opens a month's calendar (Vietnamese month and day names, weeks
// from Monday). Keyboard: arrows move a day or a week, Home/End the week's first/last day, Page Up/Down
// a month (with Shift a year), Enter or Space choose, Escape close; the chosen day is written dd/mm/yyyy.
// Dates are computed in UTC (no daylight-saving surprises in the browser's own zone); "today" is
// today in Vietnam.
"use strict";
(function () {
  var DAYS = ["Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật"];
  var SHORT = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"];
  var DMY = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/;
  var ISO = /^\s*(\d{4})-(\d{2})-(\d{2})\s*$/;

  function utc(year, month, day) { return new Date(Date.UTC(year, month, day)); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function text(day) {
    return pad(day.getUTCDate()) + "/" + pad(day.getUTCMonth() + 1) + "/" + day.getUTCFullYear();
  }
  function spoken(day) {
    return DAYS[(day.getUTCDay() + 6) % 7] + ", ngày " + day.getUTCDate() + " tháng " +
      (day.getUTCMonth() + 1) + " năm " + day.getUTCFullYear();
  }
  function same(a, b) { return a && b && a.getTime() === b.getTime(); }
  function addDays(day, n) { return utc(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + n); }
  function addMonths(day, n) {
    var y = day.getUTCFullYear(), m = day.getUTCMonth() + n;
    var last = utc(y, m + 1, 0).getUTCDate();
    return utc(y, m, Math.min(day.getUTCDate(), last));
  }
  function parsed(value) {
    var m = DMY.exec(value), d, mo, y;
    if (m) { d = +m[1]; mo = +m[2]; y = +m[3]; } else {
      m = ISO.exec(value);
      if (!m) { return null; }
      y = +m[1]; mo = +m[2]; d = +m[3];
    }
    var day = utc(y, mo - 1, d);
    return day.getUTCDate() === d && day.getUTCMonth() === mo - 1 ? day : null;
  }
  function today() {
    var parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: "Asia/Ho_Chi_Minh", year: "numeric", month: "2-digit", day: "2-digit"
    }).format(new Date());
    return parsed(parts) || utc(new Date().getFullYear(), new Date().getMonth(), new Date().getDate());
  }
  function make(tag, cls, content) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    if (content) { el.textContent = content; }
    return el;
  }

  var serial = 0;

  function attach(input) {
    serial += 1;
    var id = "lich-" + serial;
    var row = make("div", "lich-hang");
    input.parentNode.insertBefore(row, input);
    row.appendChild(input);
    var opener = make("button", "lich-nut", "Lịch");
    opener.type = "button";
    opener.setAttribute("aria-haspopup", "dialog");
    opener.setAttribute("aria-expanded", "false");
    opener.setAttribute("aria-controls", id);
    // named apart from the field's label, so that the label names the field alone
    opener.setAttribute("aria-label", "Mở lịch chọn ngày");
    row.appendChild(opener);

    var box = make("div", "lich");
    box.id = id;
    box.hidden = true;
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "Chọn ngày");
    var head = make("div", "lich-dau");
    var prev = make("button", "lich-truoc", "‹");
    prev.type = "button";
    prev.setAttribute("aria-label", "Tháng trước");
    var title = make("p", "lich-thang");
    title.setAttribute("aria-live", "polite");
    var next = make("button", "lich-sau", "›");
    next.type = "button";
    next.setAttribute("aria-label", "Tháng sau");
    head.appendChild(prev);
    head.appendChild(title);
    head.appendChild(next);
    box.appendChild(head);
    var grid = make("table", "lich-bang");
    grid.setAttribute("role", "grid");
    var thead = make("thead");
    var names = make("tr");
    SHORT.forEach(function (short, i) {
      var th = make("th", "", short);
      th.scope = "col";
      th.abbr = DAYS[i];
      th.title = DAYS[i];
      names.appendChild(th);
    });
    thead.appendChild(names);
    grid.appendChild(thead);
    var body = make("tbody");
    grid.appendChild(body);
    box.appendChild(grid);
    var help = make("p", "lich-giup", "Mũi tên: đổi ngày · Page Up/Down: đổi tháng · Enter: chọn · Esc: đóng");
    box.appendChild(help);
    row.parentNode.insertBefore(box, row.nextSibling);

    var focus = today();

    function draw(moveFocus) {
      var chosen = parsed(input.value), now = today();
      var first = utc(focus.getUTCFullYear(), focus.getUTCMonth(), 1);
      var start = addDays(first, -((first.getUTCDay() + 6) % 7));
      title.textContent = "Tháng " + (focus.getUTCMonth() + 1) + " năm " + focus.getUTCFullYear();
      body.textContent = "";
      var day = start;
      for (var week = 0; week < 6; week += 1) {
        var tr = make("tr");
        for (var i = 0; i < 7; i += 1) {
          var td = make("td");
          var b = make("button", "lich-ngay", String(day.getUTCDate()));
          b.type = "button";
          b.tabIndex = same(day, focus) ? 0 : -1;
          b.setAttribute("aria-label", spoken(day));
          b.dataset.ngay = text(day);
          if (day.getUTCMonth() !== focus.getUTCMonth()) { b.classList.add("lich-ngoai"); }
          if (same(day, now)) { b.classList.add("lich-hom-nay"); b.setAttribute("aria-current", "date"); }
          if (same(day, chosen)) { b.classList.add("lich-chon"); b.setAttribute("aria-pressed", "true"); }
          td.appendChild(b);
          tr.appendChild(td);
          day = addDays(day, 1);
        }
        body.appendChild(tr);
        if (day.getUTCMonth() !== focus.getUTCMonth() && week >= 3) { break; }
      }
      if (moveFocus) {
        var current = body.querySelector("button[tabindex='0']");
        if (current) { current.focus(); }
      }
    }

    function open() {
      focus = parsed(input.value) || today();
      box.hidden = false;
      opener.setAttribute("aria-expanded", "true");
      draw(true);
    }
    function close(back) {
      if (box.hidden) { return; }
      box.hidden = true;
      opener.setAttribute("aria-expanded", "false");
      if (back) { opener.focus(); }
    }
    function choose(value) {
      input.value = value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
      close(false);
      input.focus();
    }

    opener.addEventListener("click", function () { if (box.hidden) { open(); } else { close(true); } });
    prev.addEventListener("click", function () { focus = addMonths(focus, -1); draw(false); });
    next.addEventListener("click", function () { focus = addMonths(focus, 1); draw(false); });
    body.addEventListener("click", function (event) {
      var b = event.target.closest("button.lich-ngay");
      if (b) { choose(b.dataset.ngay); }
    });
    box.addEventListener("keydown", function (event) {
      var moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
      var onDay = event.target.classList && event.target.classList.contains("lich-ngay");
      if (event.key === "Escape") { event.preventDefault(); close(true); return; }
      if (!onDay) { return; }
      var weekday = (focus.getUTCDay() + 6) % 7;
      if (moves[event.key] !== undefined) { focus = addDays(focus, moves[event.key]); }
      else if (event.key === "Home") { focus = addDays(focus, -weekday); }
      else if (event.key === "End") { focus = addDays(focus, 6 - weekday); }
      else if (event.key === "PageUp") { focus = addMonths(focus, event.shiftKey ? -12 : -1); }
      else if (event.key === "PageDown") { focus = addMonths(focus, event.shiftKey ? 12 : 1); }
      else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        choose(event.target.dataset.ngay);
        return;
      } else { return; }
      event.preventDefault();
      draw(true);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && event.altKey) { event.preventDefault(); open(); }
    });
    document.addEventListener("click", function (event) {
      if (!box.hidden && !box.contains(event.target) && event.target !== opener) { close(false); }
    });
  }

  document.querySelectorAll("input[data-lich]").forEach(attach);
})();
