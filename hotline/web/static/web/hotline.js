// Small behaviours of the Hotline UI, wired by data attributes (no inline handlers).
//   select[data-autosubmit]  submits its form when the choice changes
//   form[data-confirm]       asks before a plain (non-htmx) form is sent
//   [data-copy="id"]         copies the text of element #id to the clipboard

document.addEventListener("change", (event) => {
  const select = event.target;
  if (select instanceof HTMLSelectElement && select.hasAttribute("data-autosubmit")) {
    select.form?.requestSubmit();
  }
});

document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("hx-post")) {
      return; // htmx forms ask with hx-confirm
    }
    const question = form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);

document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) {
    return;
  }
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) {
    return;
  }
  await navigator.clipboard.writeText(source.textContent.trim());
  if (button.dataset.copied) {
    button.textContent = button.dataset.copied;
  }
});
