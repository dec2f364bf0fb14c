/* The site's own behaviour. It lives in this file, never inline, so the Content-Security-Policy
   can allow scripts from this server only (script-src 'self'): markup asks for behaviour with
   data- attributes and these listeners, attached once to the document, answer. */
(function () {
  "use strict";

  // <details data-nav-menu="(media query)">: the site menu, rendered open (so it works
  // without JS), folded behind its button where the query matches (narrow screens; wider
  // ones for the long staff menus) and open again when the screen widens.
  function fitMenu(menu, query) {
    menu.open = !query.matches;
  }
  function watchMenus() {
    if (!window.matchMedia) return;
    var menus = document.querySelectorAll("details[data-nav-menu]");
    for (var i = 0; i < menus.length; i++) {
      var menu = menus[i];
      var query = window.matchMedia(menu.getAttribute("data-nav-menu") || "(max-width: 1023px)");
      fitMenu(menu, query);
      if (query.addEventListener) {
        query.addEventListener("change", fitMenu.bind(null, menu, query));
      }
    }
  }
  // .table-wrap wider than its column: a scroll region the keyboard reaches (tabindex=0,
  // role=region, named after its caption or the heading before it) with a visible cue.
  // Templates that know a table is wide say so themselves; this covers the others.
  function regionName(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption) return caption.textContent.trim();
    for (var node = wrap.previousElementSibling; node; node = node.previousElementSibling) {
      if (/^H[1-6]$/.test(node.tagName)) return node.textContent.trim();
    }
    var heading = document.querySelector("main h1");
    return heading ? heading.textContent.trim() : "Таблица";
  }
  function markScrollers(root) {
    var wraps = (root || document).querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      var wide = wrap.scrollWidth > wrap.clientWidth + 1;
      wrap.classList.toggle("is-scrollable", wide);
      if (wide && !wrap.hasAttribute("role")) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", regionName(wrap) + " (прокручивается вбок)");
      }
    }
  }
  var resizeTimer = null;
  function onReady() {
    watchMenus();
    markScrollers(document);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onReady);
  } else {
    onReady();
  }
  // The classes of <html> change the layout (the version for the visually impaired: larger
  // text makes tables wider): a table that now overflows becomes a scroll region too.
  if (window.MutationObserver) {
    new MutationObserver(function () { markScrollers(document); }).observe(
      document.documentElement, { attributes: true, attributeFilter: ["class"] }
    );
  }
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () { markScrollers(document); }, 150);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    markScrollers(event.target);
  });

  // htmx updates, announced and focused (issue 17). The swapped content says what to read
  // (an element with data-announce="Найдено программ: 12") and where the keyboard goes (an
  // element with data-results-heading and tabindex="-1"). The text goes into the persistent
  // #live-status of base.html, which is never itself swapped: cleared first, then set a moment
  // later, so the same text twice in a row is read twice.
  var announceTimer = null;
  function announce(text) {
    var status = document.getElementById("live-status");
    if (!status || !text) return;
    status.textContent = "";
    window.clearTimeout(announceTimer);
    announceTimer = window.setTimeout(function () { status.textContent = text; }, 100);
  }
  function swappedRoot(event) {
    var target = event.detail && event.detail.target;
    // outerHTML swaps replace the target: the element now in the document under its id.
    if (target && !target.isConnected && target.id) return document.getElementById(target.id);
    return target && target.isConnected ? target : null;
  }
  function findIn(root, selector) {
    if (!root) return null;
    if (root.matches && root.matches(selector)) return root;
    return root.querySelector(selector);
  }
  // Focus before the swap: whether it was inside the part about to be replaced.
  var focusWasInSwap = false;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    var active = document.activeElement;
    focusWasInSwap = !!(target && active && active !== document.body && target.contains(active));
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = swappedRoot(event);
    if (!root) return;
    var said = findIn(root, "[data-announce]");
    if (said) announce(said.getAttribute("data-announce"));
    // A refused form inside the swap: its error summary (helper markup of issue 17) first.
    var heading = findIn(root, ".error-summary") || findIn(root, "[data-results-heading]");
    var active = document.activeElement;
    var lost = !active || active === document.body || !active.isConnected;
    // Pagination, a button or link inside the results (replaced with them) and a submitted
    // search or filter form send the keyboard to the results heading. A filter applied on its
    // own change, or the search as it is typed, keeps the keyboard in the control (moving it
    // would take a keyboard user out of a <select> after the first arrow key); the result is
    // announced either way.
    var config = event.detail && event.detail.requestConfig;
    var trigger = config && config.triggeringEvent;
    var submitted = !!(trigger && trigger.type === "submit");
    if (heading && (lost || focusWasInSwap || submitted)) {
      if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
      heading.focus();
    } else if (lost) {
      var main = document.getElementById("content");
      if (main) main.focus();
    }
    focusWasInSwap = false;
  });

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

  // A filter form (data-drop-empty) does not send again the request it last sent, unless it
  // is submitted. Text that arrives without key presses (pasted, dictated, an input method)
  // has no keyup to remember, so the debounced "keyup changed" trigger of the search field
  // fired once more half a second after Enter, and its swap took the keyboard out of the
  // results a user had just tabbed into. Any other request into the page (a page link, the
  // history) forgets what was sent, and so does a request that failed.
  var lastSent = new WeakMap();
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-drop-empty")) {
      lastSent = new WeakMap();
      return;
    }
    var key = event.detail.path + "?" + new URLSearchParams(event.detail.formData).toString();
    var trigger = event.detail.triggeringEvent;
    if (lastSent.get(form) === key && !(trigger && trigger.type === "submit")) {
      event.preventDefault();
      return;
    }
    lastSent.set(form, key);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && event.detail.failed && lastSent.has(form)) lastSent.delete(form);
  });
  document.addEventListener("htmx:historyRestore", function () {
    lastSent = new WeakMap();
  });
})();
