// The print view's "In danh sách" button (a file, not an onclick attribute: the Content-Security-Policy
// runs scripts from this origin only).
"use strict";
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () {
    window.print();
  });
});
