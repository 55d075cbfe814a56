/* kiemtin review: CSRF header for htmx requests and keyboard shortcuts. No inline scripts (CSP). */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var token = csrfToken();
    if (token) {
      document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRF-Token": token }));
    }
  });

  /* Small screens: the menu folds behind a button (without JavaScript it simply stays open). */
  function setUpMenu() {
    var button = document.getElementById("nav-toggle");
    var header = button ? button.closest(".topbar") : null;
    if (!button || !header) {
      return;
    }
    header.classList.add("nav-collapsible");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = header.classList.toggle("nav-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  /* A box that scrolls sideways (a wide table on a narrow screen) takes keyboard focus, so it can be scrolled
     with the arrow keys; one that fits does not add a tab stop. */
  function markScrollRegions() {
    var boxes = document.querySelectorAll(".card-flush, .preview-wrap, .scroll-region");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-focus");
      }
    }
  }

  /* Small screens: a long post starts folded to its first lines, so what follows stays near; one button unfolds it. */
  function setUpPostToggle() {
    var button = document.getElementById("post-toggle");
    var text = document.getElementById("post-text");
    if (!button || !text || !window.matchMedia("(max-width: 720px)").matches) {
      return;
    }
    function show(folded) {
      text.classList.toggle("folded", folded);
      button.setAttribute("aria-expanded", folded ? "false" : "true");
      button.textContent = button.getAttribute(folded ? "data-more" : "data-less");
    }
    show(true);
    if (text.scrollHeight <= text.clientHeight + 24) {
      show(false);  /* short enough: nothing to unfold */
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      show(!text.classList.contains("folded"));
    });
  }

  /* Small screens: the queue's filters fold to the text search, so the rows come into view; a button unfolds them. */
  function setUpFiltersToggle() {
    var button = document.getElementById("filters-toggle");
    var main = document.querySelector("main");
    if (!button || !main || !window.matchMedia("(max-width: 720px)").matches) {
      return;
    }
    main.classList.add("filters-folded");
    button.setAttribute("aria-expanded", "false");
    button.hidden = false;
    button.addEventListener("click", function () {
      var folded = main.classList.toggle("filters-folded");
      button.setAttribute("aria-expanded", folded ? "false" : "true");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpMenu();
    setUpFiltersToggle();
    setUpPostToggle();
    markScrollRegions();
    window.addEventListener("resize", markScrollRegions);
  });
  document.addEventListener("htmx:afterSettle", markScrollRegions);

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRF-Token"] = token;
    }
  });

  function isTyping(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function submitForm(id) {
    var form = document.getElementById(id);
    if (!form) {
      return false;
    }
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
    return true;
  }

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) {
      return false;
    }
    field.scrollIntoView({ block: "center" });
    field.focus();
    return true;
  }

  var shortcuts = {
    n: function () { return submitForm("next-form"); },
    c: function () { return focusField("confirm-category"); },
    d: function () { return focusField("dismiss-reason"); },
    e: function () { return focusField("escalate-note"); },
    s: function () { return submitForm("skip-form"); }
  };

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isTyping(event.target)) {
      event.target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) {
      return;
    }
    var action = shortcuts[event.key];
    if (action && action()) {
      event.preventDefault();
    }
  });
})();
