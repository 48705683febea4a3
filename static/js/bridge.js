// Bridge's small client side: toasts for failures, the shared <dialog>, and CSRF recovery.
(function () {
  "use strict";

  function toast(message, kind) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    // An open modal <dialog> sits in the top layer, above the page's toasts: show them inside it.
    var dialog = document.getElementById("modal");
    if (dialog && dialog.open) {
      box = dialog.querySelector(".toasts") || dialog.appendChild(box.cloneNode(false));
      box.removeAttribute("id");
    }
    var item = document.createElement("div");
    item.className = "toast" + (kind ? " toast-" + kind : "");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.textContent = message;
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 6000);
  }
  window.bridgeToast = toast;

  // No failure is silent: a refused or failed HTMX request says so.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0
      ? xhr.responseText : "";
    toast(text || "Something went wrong, and nothing was saved. Please try again.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("Bridge could not be reached. Check your connection and try again.", "error");
  });

  // Server-sent messages: HX-Trigger: {"showMessage": "..."}
  document.body.addEventListener("showMessage", function (event) {
    toast(event.detail.value || event.detail.message || "Done.");
  });

  // The shared dialog opens when HTMX fills it and closes on [data-close-modal] or closeModal.
  var modal = document.getElementById("modal");
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === modal && modal.innerHTML.trim() && !modal.open) {
      modal.showModal();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-modal]")) { modal.close(); }
  });
  document.body.addEventListener("closeModal", function () { modal.close(); });

  // Buttons that ask for confirmation before an HTMX or plain submit.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  }, true);

  // Invoice editor: Remove drops the row here (without JS it is a submit the server handles),
  // then tells the form to recompute its totals.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-line]");
    if (!button) { return; }
    event.preventDefault();
    var form = button.form;
    button.closest("tr").remove();
    if (form && window.htmx) { window.htmx.trigger(form, "linesChanged"); }
  });

  // Invoice editor: the currency field shows the picked client's currency as its placeholder,
  // and a new invoice's entity select names the client's default entity in its empty option.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.name !== "client_id" || !select.form) { return; }
    var option = select.options[select.selectedIndex];
    var input = select.form.elements.namedItem("currency");
    if (input) { input.placeholder = (option && option.getAttribute("data-currency")) || ""; }
    var entity = select.form.elements.namedItem("entity_id");
    var empty = entity && entity.querySelector("option[value='']");
    if (empty) {
      var name = option && option.getAttribute("data-entity");
      empty.textContent = name ? name + " (the client's default)" : "The client's default";
    }
  });

  // Enter in a search-as-you-type field ([data-no-submit]) searches; it must not submit its form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-no-submit]")) {
      event.preventDefault();
    }
  });

  // Error summaries ([data-error-summary]): the focus goes to the summary when the page shows
  // it, and to the field when one of its links is followed (a link alone only scrolls).
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    event.preventDefault();
    field.scrollIntoView({ block: "center" });
    field.focus();
  });

  // Inline cell editing: Escape cancels.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var form = event.target.closest && event.target.closest(".inline-edit");
    var cancel = form && form.querySelector("[data-cancel]");
    if (cancel) { cancel.click(); }
  });

  // Invoice and expense tables: the header box ticks every row of the page (the rows' boxes
  // belong to the form its data-select-form names, bulk-copy by default); "all matching the
  // filter" ticks them too (the server takes the filter, not the ids).
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-select-page], [data-select-matching]")) { return; }
    var form = box.getAttribute("data-select-form") || "bulk-copy";
    document.querySelectorAll('input[type="checkbox"][form="' + form + '"]').forEach(function (row) {
      row.checked = box.checked;
    });
  });
})();

// A file larger than the upload field's data-max-bytes is refused before it is sent (the server
// checks again): the field says why and the form stays as it is.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches('input[type="file"][data-max-bytes]')) { return; }
  var file = input.files && input.files[0];
  var tooLarge = file && file.size > Number(input.dataset.maxBytes);
  input.setCustomValidity(tooLarge ? input.dataset.tooLarge : "");
  if (tooLarge) { input.reportValidity(); }
});
