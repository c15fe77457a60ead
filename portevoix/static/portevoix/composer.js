/* The composer: variant tabs follow the chosen channels' networks; "start from the base text".
   Small on purpose, no build step. Without JavaScript every text field shows and the form still works;
   the live checks come from the server through htmx (see compose.html). */
(function () {
  "use strict";
  var form = document.getElementById("pv-composer");
  if (!form) return;
  var tabs = Array.prototype.slice.call(form.querySelectorAll(".pv-tab"));
  var panels = Array.prototype.slice.call(form.querySelectorAll(".pv-tabs [role=tabpanel]"));

  function chosenNetworks() {
    var found = {};
    form.querySelectorAll("input[name=channels]:checked").forEach(function (box) {
      found[box.getAttribute("data-network")] = true;
    });
    return found;
  }

  function select(tab) {
    tabs.forEach(function (other) {
      var on = other === tab;
      other.setAttribute("aria-selected", on ? "true" : "false");
      other.classList.toggle("outline", !on);
      var panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
  }

  function refresh() {
    var networks = chosenNetworks();
    var current = tabs.filter(function (tab) { return tab.getAttribute("aria-selected") === "true"; })[0];
    tabs.forEach(function (tab) {
      var network = tab.getAttribute("data-network");
      if (!network) return;
      var panel = document.getElementById(tab.getAttribute("aria-controls"));
      var textarea = panel && panel.querySelector("textarea");
      // A network keeps its tab while a variant text exists, so that nothing typed is hidden.
      tab.hidden = !networks[network] && !(textarea && textarea.value.trim());
    });
    if (!current || current.hidden) select(tabs[0]);
  }

  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () { select(tab); });
  });
  form.querySelectorAll(".pv-copy-base").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-target"));
      var base = form.querySelector("textarea[name=text]");
      if (target && base && !target.value.trim()) {
        target.value = base.value;
        target.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
  });
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "channels") refresh();
  });
  select(tabs[0]);
  refresh();
})();
