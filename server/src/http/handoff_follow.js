// The "Continue on your phone" desktop page: follows the phone by polling the link's state
// and announces each step in the page's live region, without reloading the page. The texts
// of every state come with the page (data-text-<state>), so this script holds no words.
(function () {
  "use strict";
  var live = document.getElementById("handoff-state");
  if (!live) return;
  var FINAL = { submitted: "handoff-see-status", expired: "handoff-new-code", cancelled: "handoff-new-code" };
  function show(state) {
    if (live.getAttribute("data-state") === state) return;
    var text = live.getAttribute("data-text-" + state);
    if (!text) return;
    live.setAttribute("data-state", state);
    live.textContent = text;
    if (FINAL[state]) {
      document.getElementById(FINAL[state]).hidden = false;
      var qr = document.getElementById("handoff-qr");
      if (qr) qr.hidden = true;
    }
  }
  function tick() {
    fetch("/handoff/status", { headers: { accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (body) { if (body && body.state) show(body.state); })
      .catch(function () { /* offline for a moment: the next tick tries again */ })
      .then(function () {
        if (!FINAL[live.getAttribute("data-state")]) setTimeout(tick, 1500);
      });
  }
  setTimeout(tick, 1500);
})();
