// Buurtbudget ballot: keep the running total up to date. The ballot works without this
// script; the server checks every rule again when the ballot is submitted.
(function () {
  "use strict";
  var form = document.querySelector("form.ballot");
  if (!form) { return; }
  var out = document.getElementById("ballot-total");
  var fmt = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "nl-NL");
  function update() {
    var total = 0;
    form.querySelectorAll(".ballot__choice").forEach(function (el) {
      if (el.checked) { total += parseInt(el.getAttribute("data-cost"), 10) || 0; }
    });
    form.querySelectorAll(".ballot__points").forEach(function (el) {
      var n = parseInt(el.value, 10);
      if (n > 0) { total += parseInt(el.getAttribute("data-cost"), 10) || 0; }
    });
    if (out) { out.textContent = "€ " + fmt.format(total); }
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
})();
