/* The import page follows its batch: it polls GET /api/v1/imports/{id}/ and moves the
   progress bar until the batch is finished, then shows the server-rendered result (the
   counts and every row not added) in place, so there is one way the result is drawn. */
(function () {
  "use strict";
  const section = document.getElementById("import-progress-section");
  if (!section || section.dataset.follow !== "true") return;
  const bar = document.getElementById("import-progress");
  const label = document.getElementById("import-progress-label");
  const status = document.getElementById("import-status");
  const POLL_MS = 300;
  const RUNNING = ["pending", "running"];
  const NAMES = { pending: "Waiting to run", running: "Running", done: "Done", failed: "Failed", undone: "Undone" };
  let failures = 0;

  function show(batch) {
    bar.setAttribute("value", String(batch.progress));
    bar.textContent = `${batch.progress}%`;
    label.textContent = `${NAMES[batch.status] || batch.status}: ${batch.progress}%`;
    section.dataset.status = batch.status;
  }

  async function showResult() {
    // The same page, rendered now that the batch is finished: its result section replaces ours.
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    const html = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = html.getElementById("import-result");
    const result = document.getElementById("import-result");
    if (fresh && result) {
      result.replaceWith(fresh);
      window.SmartBank.formatPage(fresh);
    }
  }

  async function poll() {
    let batch;
    try {
      batch = await window.SmartBank.api(section.dataset.apiUrl);
      failures = 0;
    } catch (error) {
      if (error.status >= 400 && error.status < 500) {
        // Logged out or no longer reachable: retrying cannot help; reloading shows why.
        status.textContent = `This import can no longer be followed (${error.message}). Reload the page.`;
        return;
      }
      failures += 1;
      status.textContent = `Could not reach the bank (${error.message}); trying again.`;
      window.setTimeout(poll, POLL_MS * Math.min(failures, 10));
      return;
    }
    show(batch);
    if (RUNNING.includes(batch.status)) {
      window.setTimeout(poll, POLL_MS);
      return;
    }
    delete section.dataset.follow;
    await showResult();
    const c = batch.counts;
    status.textContent = batch.status === "done"
      ? `Finished: ${c.created} added, ${c.duplicates} already there, ${c.matched} matched, ${c.skipped} skipped, ${c.rejected} refused.`
      : `The import ${NAMES[batch.status] ? NAMES[batch.status].toLowerCase() : batch.status}.`;
  }

  poll();
})();
