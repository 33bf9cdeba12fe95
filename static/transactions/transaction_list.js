/* The transaction list's inline category forms: with JavaScript each one saves through
   PUT /api/v1/transactions/{id}/category/ (session + CSRF) without leaving the page;
   without it the form posts to the page's own fallback view. */
(function () {
  "use strict";
  const status = document.getElementById("row-status");
  document.querySelectorAll("form.category-form").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const select = form.querySelector("select");
      const button = form.querySelector("button");
      const chosen = select.options[select.selectedIndex].text;
      button.disabled = true;
      try {
        await window.SmartBank.api(`/api/v1/transactions/${form.dataset.transaction}/category/`, {
          method: "PUT",
          body: { category: select.value || null },
        });
        status.textContent = `Saved: ${select.getAttribute("aria-label")} is now ${chosen}.`;
        form.dataset.saved = select.value;
      } catch (error) {
        const detail = error.data && error.data.category ? error.data.category.join(" ") : error.message;
        status.textContent = `Not saved: ${detail}`;
      } finally {
        button.disabled = false;
      }
    });
  });
})();

/* "Tick every row on this page": only with JavaScript, so it is hidden until this runs. */
(function () {
  "use strict";
  const all = document.getElementById("tick-all");
  if (!all) return;
  const boxes = () => document.querySelectorAll('input[type="checkbox"][name="ids"]');
  all.hidden = false;
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
})();
