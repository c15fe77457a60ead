/* Task forms: when the kind changes, suggest the first member whose role fits it (write copy: a
   copywriter; design visuals: a designer; approve: a manager, else the owner), unless the person already
   chose an assignee. The suggestions come from the form's data-pv-suggest ({kind: [role, ...]}). */
(function () {
  "use strict";
  function setUp(form) {
    var kind = form.querySelector("[data-pv-kind]");
    var who = form.querySelector("[data-pv-assignee]");
    if (!kind || !who) return;
    var roles = {};
    try { roles = JSON.parse(form.getAttribute("data-pv-suggest") || "{}"); } catch (e) { roles = {}; }
    var touched = who.value !== "";
    who.addEventListener("change", function () { touched = true; });
    function suggest() {
      if (touched) return;
      var wanted = roles[kind.value] || [];
      for (var i = 0; i < wanted.length; i++) {
        var option = who.querySelector('option[data-role="' + wanted[i] + '"]');
        if (option) { who.value = option.value; return; }
      }
      who.value = "";
    }
    kind.addEventListener("change", suggest);
    suggest();
  }
  function init() { document.querySelectorAll("form[data-pv-task-form]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
