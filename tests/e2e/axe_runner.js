// The accessibility check of the browser journeys (tests/e2e/axe.py installs it, after
// axe-core, into every document of every browser context). After `load`, and after each htmx
// swap has settled, it runs axe-core against WCAG 2.1 A/AA in the normal and the low-vision
// modes (classes on <html> only, the contract of issue 17) and reports to the test through the
// binding __pfdoAxeReport. window.__pfdoAxeIdle is false from the start of the document until
// its checks are done: the test waits for it before each action.
(() => {
  if (window.top !== window) return; // frames are checked from their top document
  if (!/^https?:$/.test(location.protocol)) return; // about:blank, data: — nothing to check

  const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
  // The low-vision settings set by hand on <html>, as the switcher's cookie would render them.
  const LOW_VISION = {
    "low-vision 200% black on white, images off, wide spacing":
      "lv lv-font-3 lv-contrast-bw lv-images-off lv-spacing-wide",
    "low-vision 150% white on black": "lv lv-font-2 lv-contrast-wb",
  };
  const doc = Math.random().toString(36).slice(2);
  let timer = null;
  let running = false;
  let queued = null;
  window.__pfdoAxeIdle = false;

  const report = (message) =>
    window.__pfdoAxeReport({ ...message, doc, url: location.href, path: location.pathname });

  // CSS transitions started by a class change would show axe mid-way colours: finish them.
  const settle = () => {
    for (const animation of document.getAnimations()) {
      try {
        animation.finish();
      } catch (error) {
        // an infinite animation cannot finish; it is not a colour of the page
      }
    }
  };

  // What makes a page another page for the check, beyond its path: who is logged in (the
  // header's links differ by role) and whether a form shows errors.
  const shape = () => {
    const header = document.querySelectorAll("header a, header button").length;
    const errors = document.querySelector(
      '[aria-invalid="true"], .errorlist, .error-summary, [role="alert"]'
    );
    return `header:${header}${errors ? " errors" : ""}`;
  };

  const summary = (violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.slice(0, 10).map((node) => ({
      target: node.target.map(String).join(" "),
      html: node.html.slice(0, 200),
      summary: (node.failureSummary || "").slice(0, 400),
    })),
    count: violation.nodes.length,
  });

  async function check(trigger) {
    const html = document.contentType === "text/html";
    const modes = html ? await report({ kind: "begin", trigger, shape: shape() }) : [];
    const root = document.documentElement;
    const original = root.className;
    const plain = original
      .split(/\s+/)
      .filter((name) => name && name !== "lv" && !name.startsWith("lv-"))
      .join(" ");
    try {
      for (const mode of modes || []) {
        root.className = mode === "normal" ? original : `${plain} ${LOW_VISION[mode]}`.trim();
        settle();
        // Let the page answer the class change first, as it would have at load in that mode
        // (app.js marks the tables that now overflow as scroll regions).
        await new Promise((resolve) => setTimeout(resolve, 0));
        const result = await window.axe.run(document, {
          runOnly: { type: "tag", values: TAGS },
          resultTypes: ["violations"],
        });
        report({ kind: "result", mode, violations: result.violations.map(summary) });
      }
    } catch (error) {
      report({ kind: "error", message: String((error && error.stack) || error) });
    } finally {
      if (root.className !== original) {
        root.className = original;
        settle();
      }
    }
    report({ kind: "done", trigger, html });
  }

  async function drain() {
    running = true;
    while (queued !== null) {
      const trigger = queued;
      queued = null;
      await check(trigger);
    }
    running = false;
    if (timer === null) window.__pfdoAxeIdle = true;
  }

  function schedule(trigger, delay) {
    window.__pfdoAxeIdle = false;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      queued = trigger;
      if (!running) drain();
    }, delay);
  }

  window.addEventListener("load", () => schedule("load", 0));
  // Debounced: a burst of swaps (results and pagination, say) is checked once, settled.
  document.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail && event.detail.target;
    schedule(`htmx #${(target && target.id) || "?"}`, 150);
  });
})();
