// vigia console: live updates of the duty dashboard. The page works
// without this file; with it, the tables refresh when the node's event
// stream says a product, receipt or finding arrived.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource || !window.fetch) {
    return;
  }
  var status = document.getElementById("live-status");
  var waiting = false;
  function refresh() {
    if (waiting) {
      return;
    }
    waiting = true;
    // Events come in bursts; one fetch per burst is enough.
    setTimeout(function () {
      fetch("/console/live", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          waiting = false;
          if (html !== null) {
            live.innerHTML = html;
          }
        })
        .catch(function () { waiting = false; });
    }, 300);
  }
  var events = new EventSource("/console/events");
  ["product", "receipt", "finding", "message"].forEach(function (name) {
    events.addEventListener(name, refresh);
  });
  events.onopen = function () {
    if (status) {
      status.textContent = status.getAttribute("data-live");
    }
  };
})();
