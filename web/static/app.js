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
