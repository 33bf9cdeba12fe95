/* Reports: follow each statement that is still being made until it is done or failed,
   then show its status, closing balance and download link. Polls the statement's own API
   address, a little slower each time, and gives up after a deadline. */
(function () {
  "use strict";
  const { api, money } = window.SmartBank;
  const DEADLINE_MS = 5 * 60 * 1000;
  const LABELS = { pending: "Waiting to run", running: "Running", done: "Done", failed: "Failed" };

  function render(row, statement) {
    row.dataset.status = statement.status;
    const badge = row.querySelector(".status");
    badge.innerHTML = "";
    const label = document.createElement("span");
    label.className = statement.status === "failed" ? "badge overdue" : "badge";
    label.textContent = LABELS[statement.status] || statement.status;
    badge.append(label);
    const file = row.querySelector(".file");
    if (statement.status === "done") {
      row.querySelector("td.money").textContent = money(statement.closing_balance, statement.currency);
      const link = document.createElement("a");
      link.href = statement.links.download;
      link.setAttribute("download", "");
      link.textContent = `Download ${statement.filename}`;
      file.replaceChildren(link);
    } else if (statement.status === "failed") {
      const error = document.createElement("p");
      error.className = "error";
      error.textContent = statement.error;
      badge.append(error);
      file.textContent = "Ask again above";
    }
  }

  function follow(row) {
    const started = Date.now();
    let wait = 500;
    const poll = async () => {
      try {
        const statement = await api(row.dataset.follow);
        render(row, statement);
        if (statement.status === "done" || statement.status === "failed") return;
      } catch (error) {
        row.querySelector(".file").textContent = error.message;
        return;
      }
      if (Date.now() - started > DEADLINE_MS) {
        row.querySelector(".file").textContent = "Still being made: reload the page later.";
        return;
      }
      wait = Math.min(wait * 1.5, 5000);
      setTimeout(poll, wait);
    };
    poll();
  }

  document.querySelectorAll("tr[data-follow]").forEach(follow);
})();
