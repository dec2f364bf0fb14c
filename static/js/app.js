/* The site's own behaviour. It lives in this file, never inline, so the Content-Security-Policy
   can allow scripts from this server only (script-src 'self'): markup asks for behaviour with
   data- attributes and these listeners, attached once to the document, answer. */
(function () {
  "use strict";

  // <button data-print>: print the page.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });

  // <form data-confirm="question">: ask before posting.
  // <form data-once>: a double click sends the form once (the button is disabled on submit).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (form.hasAttribute("data-once") && !event.defaultPrevented) {
      var button = form.querySelector("[type=submit]");
      if (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      }
    }
  });

  // Coming back to a page from history re-enables its once-only forms.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-once] [type=submit]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  });

  // <form data-drop-empty="name …">: an htmx request of this form leaves out empty fields
  // (short, shareable catalogue addresses), except the fields named, whose empty value means
  // something ("all municipalities").
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-drop-empty")) return;
    var keep = form.getAttribute("data-drop-empty").split(/\s+/);
    var data = event.detail.formData;
    Array.from(data.keys()).forEach(function (name) {
      if (keep.indexOf(name) < 0 && !data.get(name)) data.delete(name);
    });
  });
})();
