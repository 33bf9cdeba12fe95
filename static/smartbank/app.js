/* SmartBank's shared page script: formatting by the customer's locale, and calls to the
   JSON API with the session cookie and the CSRF token (the API takes JWT first, then the
   session; a page never holds a token). */
(function () {
  "use strict";
  const body = document.body;
  const locale = body.dataset.locale || "en-US";
  const csrfToken = () => {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  };

  /** Money from the API's string ("-12.50") with its currency, in the customer's locale.
   *  Intl formats from a string without going through a float. */
  function money(amount, currency) {
    if (amount === null || amount === undefined || amount === "") return "–";
    return new Intl.NumberFormat(locale, { style: "currency", currency: currency }).format(amount);
  }

  /** An ISO date ("2026-11-22") as a date in the customer's locale, never shifted by a zone. */
  function day(iso) {
    if (!iso) return "–";
    const [y, m, d] = iso.split("-").map(Number);
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" })
      .format(new Date(Date.UTC(y, m - 1, d)));
  }

  async function api(path, { method = "GET", body: payload, query } = {}) {
    const url = new URL(path, window.location.origin);
    Object.entries(query || {}).forEach(([key, value]) => {
      if (value !== "" && value !== null && value !== undefined) url.searchParams.set(key, value);
    });
    const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") {
      options.headers["X-CSRFToken"] = csrfToken();
      if (payload !== undefined) {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(payload);
      }
    }
    const response = await fetch(url, options);
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error((data && data.detail) || `The request failed (${response.status}).`);
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  /** An API error shown on a form: a 400's messages beside their fields (the elements
   *  #id_<name>_error that templates/form_fields.html makes), anything else in `box`.
   *  `fields` are cleared first; a null error only clears. */
  function showErrors(error, { fields, box, summary }) {
    fields.forEach((name) => {
      document.getElementById(`id_${name}_error`).textContent = "";
      document.getElementById(`id_${name}`).closest(".field").classList.remove("has-error");
    });
    box.hidden = !error;
    if (!error) return;
    let placed = false;
    Object.entries((error.status === 400 && error.data) || {}).forEach(([name, messages]) => {
      const target = document.getElementById(`id_${name}_error`);
      if (!target) return;
      target.textContent = [].concat(messages).join(" ");
      document.getElementById(`id_${name}`).closest(".field").classList.add("has-error");
      placed = true;
    });
    box.textContent = placed ? summary : error.message;
  }

  /** A moment (an ISO date-time) as a date and time in the customer's locale and zone. */
  function moment(iso) {
    if (!iso) return "–";
    const options = { dateStyle: "medium", timeStyle: "short" };
    if (body.dataset.timeZone) options.timeZone = body.dataset.timeZone;
    return new Intl.DateTimeFormat(locale, options).format(new Date(iso));
  }

  /** Each cell of a table.stack gets its column's heading as data-label, which app.css
   *  shows before the cell when the rows are stacked as cards at phone width. A heading's
   *  own data-label (empty for a column of buttons) wins over its text. */
  function labelStackedCells(root) {
    const tables = root.matches && root.matches("table.stack") ? [root] : root.querySelectorAll("table.stack");
    tables.forEach((table) => {
      const headings = [];
      table.querySelectorAll("thead tr:last-child th").forEach((th) => {
        const label = th.dataset.label ?? th.textContent.trim();
        for (let span = 0; span < th.colSpan; span += 1) headings.push(label);
      });
      table.querySelectorAll("tbody tr, tfoot tr").forEach((row) => {
        let column = 0;
        [...row.children].forEach((cell) => {
          if (cell.tagName === "TD" && cell.dataset.label === undefined) {
            cell.dataset.label = headings[column] || "";
          }
          column += cell.colSpan;
        });
      });
    });
  }

  /** Every element with data-money="amount" data-currency="EUR" rendered in the locale,
   *  data-day and data-moment likewise, and the labels of stacked tables. */
  function formatPage(root = document) {
    root.querySelectorAll("[data-money]").forEach((node) => {
      node.textContent = money(node.dataset.money, node.dataset.currency || body.dataset.currency);
      if (Number(node.dataset.money) < 0) node.classList.add("negative");
    });
    root.querySelectorAll("[data-day]").forEach((node) => { node.textContent = day(node.dataset.day); });
    root.querySelectorAll("[data-moment]").forEach((node) => {
      node.textContent = moment(node.dataset.moment);
    });
    labelStackedCells(root);
  }

  window.SmartBank = { api, money, day, moment, formatPage, showErrors, locale };
  document.addEventListener("DOMContentLoaded", () => formatPage());
})();
