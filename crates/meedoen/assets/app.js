// Meedoen: small enhancements only. Every page works without this script.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Background jobs: follow progress without reloading the page.
  function followJob(el) {
    var url = el.getAttribute("data-job-status");
    var bar = el.querySelector(".job__bar");
    var status = el.querySelector(".job__status");
    var message = el.querySelector(".job__message");
    var result = el.querySelector(".job__result");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          if (bar) { bar.value = j.percent; bar.textContent = j.percent + "%"; }
          if (status && status.textContent !== j.status_text) { status.textContent = j.status_text; }
          if (message) { message.textContent = j.message || ""; }
          if (j.finished) {
            if (result && j.result_url) {
              result.hidden = false;
              var a = result.querySelector("a");
              if (a) { a.href = j.result_url; }
            }
            if (j.error) { window.location.reload(); }
            var form = el.querySelector("form");
            if (form) { form.hidden = true; }
            return;
          }
          setTimeout(tick, 1000);
        })
        .catch(function () { setTimeout(tick, 3000); });
    }
    setTimeout(tick, 500);
  }
  document.querySelectorAll("[data-job-status]").forEach(followJob);

  // Forms with errors: move focus to the error summary.
  var summary = document.getElementById("foutmeldingen");
  if (summary) { summary.focus(); }

  // Hooks for modules: elements with data-enhance="name" get window.Meedoen[name](el).
  window.Meedoen = window.Meedoen || {};
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-enhance]").forEach(function (el) {
      var fn = window.Meedoen[el.getAttribute("data-enhance")];
      if (typeof fn === "function") { fn(el); }
    });
  });
})();
