// Boots ReDoc at /redoc (a file, not an inline script: the Content-Security-Policy allows scripts from
// this origin only). Search is off: ReDoc runs it in a Web Worker made from a blob: address, which the
// policy does not allow.
"use strict";
(function () {
  var root = document.getElementById("redoc");
  Redoc.init(root.dataset.openapiUrl, { disableSearch: true, hideDownloadButton: false }, root);
})();
