// Draws the dashboards' charts from the figures embedded in the page (json_script). The tables below
// each chart hold the same numbers, so the page reads without JavaScript.
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function draw() {
    if (typeof window.Chart === "undefined") { return; }
    var charts = data("dashboard-charts");
    var labels = data("dashboard-labels") || {};
    if (!charts) { return; }
    function line(id, days, sets) {
      var canvas = document.getElementById(id);
      if (!canvas) { return; }
      new window.Chart(canvas, {
        type: "line",
        data: { labels: days, datasets: sets },
        options: { animation: false, spanGaps: true, maintainAspectRatio: false,
                   scales: { y: { beginAtZero: false } } }
      });
    }
    line("chart-followers", charts.followers.days,
         [{ label: labels.followers, data: charts.followers.values, borderColor: "#1971c2" }]);
    line("chart-clicks", charts.clicks.days, [
      { label: labels.humans, data: charts.clicks.humans, borderColor: "#2b8a3e" },
      { label: labels.bots, data: charts.clicks.bots, borderColor: "#adb5bd" }
    ]);
    line("chart-visits", charts.visits.days,
         [{ label: labels.visits, data: charts.visits.values, borderColor: "#e8590c" }]);
    var funnel = document.getElementById("chart-funnel");
    if (funnel) {
      var t = charts.funnel;
      new window.Chart(funnel, {
        type: "bar",
        data: { labels: [labels.published, labels.humans, labels.visits, labels.conversions],
                datasets: [{ label: labels.funnel, data: [t.published, t.clicks, t.visits, t.conversions],
                             backgroundColor: "#4c6ef5" }] },
        options: { animation: false, indexAxis: "y", maintainAspectRatio: false }
      });
    }
    var networks = document.getElementById("chart-networks");
    if (networks && charts.networks.length) {
      new window.Chart(networks, {
        type: "bar",
        data: { labels: charts.networks.map(function (n) { return n.network; }),
                datasets: [{ label: labels.engagements,
                             data: charts.networks.map(function (n) { return n.engagements; }),
                             backgroundColor: "#9c36b5" }] },
        options: { animation: false, maintainAspectRatio: false }
      });
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
