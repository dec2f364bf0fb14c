/* Forms: after a failed submit the error summary (templates/_error_summary.html) takes the
   focus, so a screen reader reads it and a keyboard user starts from it; each of its links
   moves the focus to its field (the first input of a choice list). Loaded with defer from
   base.html; no inline code (the Content-Security-Policy allows scripts from this server only). */
(function () {
  "use strict";

  var FIELDS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])";

  function openDetails(node) {
    for (var el = node; el; el = el.parentElement) {
      if (el.tagName === "DETAILS" && !el.open) el.open = true;
    }
  }

  function focusSummary(root) {
    var scope = root && root.querySelector ? root : document;
    var summary = scope.id === "error-summary" ? scope : scope.querySelector("#error-summary");
    if (!summary) return;
    openDetails(summary);
    summary.focus();
  }

  function fieldOf(target) {
    if (target.matches && target.matches(FIELDS)) return target;
    return target.querySelector ? target.querySelector(FIELDS) : null;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("#error-summary a[href^='#']") : null;
    if (!link) return;
    var id = decodeURIComponent(link.getAttribute("href").slice(1));
    var target = id && document.getElementById(id);
    if (!target) return;
    var field = fieldOf(target);
    if (!field) return;
    event.preventDefault();
    openDetails(field);
    field.focus();
    if (field.scrollIntoView) field.scrollIntoView({ block: "center" });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    focusSummary(event.target);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { focusSummary(document); });
  } else {
    focusSummary(document);
  }
})();
