// Đăng ký đối tượng: the household's section (code, poverty status, members) only while the kind chosen
// is a household, or none is chosen yet. A file, not an inline script: the Content-Security-Policy runs
// scripts from this origin only. Without scripts every field shows.
"use strict";
(function () {
  var kind = document.getElementById("reg-kind");
  var household = document.getElementById("ho");
  if (!kind || !household) {
    return;
  }
  function update() {
    household.hidden = kind.value !== "" && kind.value !== "poor_household";
  }
  kind.addEventListener("change", update);
  update();
})();
