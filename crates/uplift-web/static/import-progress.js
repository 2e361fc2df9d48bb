// The progress page of a background import (/imports/jobs/{id}): polls the job's small JSON
// answer once a second, moves the bar, and goes to the result page when the import has ended.
// Without JavaScript the page reloads itself instead (<noscript> meta refresh).
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-progress");
  var bar = document.getElementById("import-bar");
  var phase = document.getElementById("import-phase");
  var rows = document.getElementById("import-rows");
  var elapsed = document.getElementById("import-elapsed");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error(String(r.status));
        }
        return r.json();
      })
      .then(function (p) {
        if (p.state === "done" && p.result) {
          window.location.assign(p.result);
          return;
        }
        if (p.state === "failed") {
          window.location.assign(p.page);
          return;
        }
        if (p.percent !== null && p.percent !== undefined) {
          bar.value = p.percent;
          bar.textContent = p.percent + "%";
        }
        phase.textContent = p.phase_label;
        rows.textContent = String(p.rows);
        elapsed.textContent = String(p.elapsed_seconds);
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(function () {
          window.location.reload();
        }, 2000);
      });
  }
  window.setTimeout(poll, 500);
})();
