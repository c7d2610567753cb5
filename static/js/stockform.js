// stockform: the little the browser does itself. Every value is computed by the server
// (htmx posts the form to it); this file only handles keys, focus, removing a row and the camera.
(function () {
  "use strict";

  function docForm() { return document.getElementById("doc-form"); }

  function recompute() {
    var form = docForm();
    if (form && window.htmx) { htmx.trigger(form, "recompute"); }
  }

  // A keyboard-wedge scanner types the code and Enter, and may scan the next item before the
  // server has answered. Each code is taken off the field at once and sent in turn, so none is
  // lost or cut, and a repeated SKU finds the line its previous scan added.
  var scans = Promise.resolve();

  function sendScan(code) {
    var field = document.getElementById("scan");
    if (!code || !field || !window.htmx) { return; }
    scans = scans.then(function () {
      return htmx.ajax("POST", field.getAttribute("data-scan-url"), {
        source: field, values: { scan: code }, swap: "none"
      });
    }).catch(function () { /* the message area says what went wrong */ });
  }

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !field || field.id !== "scan") { return; }
    event.preventDefault();  // Enter must not submit the form
    var code = field.value.trim();
    field.value = "";
    sendScan(code);
  });

  // The live recompute answers with the editor's live elements (computed cells, line stock and
  // problems, totals, field problems, which fields show), each replacing the element with its
  // id. Not htmx's out-of-band swap: in htmx 2.0.3 that costs seconds for the 2000 cells of a
  // 1000-line document (each swap re-processes and re-fires events); this takes milliseconds.
  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    if (!detail.successful || !detail.elt || detail.elt.id !== "doc-form") { return; }
    var fresh = document.createElement("template");
    fresh.innerHTML = detail.xhr.responseText;
    Array.prototype.slice.call(fresh.content.children).forEach(function (element) {
      var old = element.id && document.getElementById(element.id);
      if (old) { old.replaceWith(element); }
    });
  });

  // A new line: put the cursor in its first input.
  document.addEventListener("htmx:afterSwap", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "lines-body" && event.detail.requestConfig &&
        event.detail.requestConfig.elt && event.detail.requestConfig.elt.id === "add-line") {
      var rows = elt.querySelectorAll("tr.line");
      var last = rows[rows.length - 1];
      var first = last && last.querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-remove-row]");
    if (!button) { return; }
    var row = button.closest("tr");
    if (row) { row.remove(); recompute(); }
  });

  // The camera, where the browser can read barcodes itself.
  function setUpCamera() {
    var button = document.getElementById("camera");
    var video = document.getElementById("camera-view");
    var scan = document.getElementById("scan");
    if (!button || !video || !scan || !("BarcodeDetector" in window) ||
        !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) { return; }
    button.hidden = false;
    var stream = null;
    var timer = null;

    function stop() {
      if (timer) { clearInterval(timer); timer = null; }
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      video.hidden = true;
    }

    button.addEventListener("click", function () {
      if (stream) { stop(); return; }
      var detector = new window.BarcodeDetector();
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          return video.play();
        })
        .then(function () {
          timer = setInterval(function () {
            detector.detect(video).then(function (codes) {
              if (codes.length) {
                stop();
                sendScan(codes[0].rawValue);
              }
            }).catch(function () { /* a frame that could not be read: try the next */ });
          }, 250);
        })
        .catch(function () { stop(); });
    });
  }

  document.addEventListener("DOMContentLoaded", setUpCamera);
})();
