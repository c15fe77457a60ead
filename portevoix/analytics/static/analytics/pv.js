/* Portevoix site tracker (docs/tracker.md). No cookies; a random visitor id in this site's localStorage;
   nothing is sent when the browser asks not to be tracked (Do Not Track, Global Privacy Control). */
(function (w, d, n) {
  var s = d.currentScript, q = (w.portevoix && w.portevoix.q) || [];
  var site = s && s.getAttribute("data-site");
  var off = n.doNotTrack == "1" || w.doNotTrack == "1" || n.msDoNotTrack == "1" || n.globalPrivacyControl;
  if (!site || off) { w.portevoix = function () {}; return; }
  var url = s.src.replace(/\/t\/pv\.js.*$/, "/t/e"), vid, shown = 0, since = 0;
  function id() {
    var a = new Uint8Array(16), h = "", i;
    if (w.crypto && crypto.getRandomValues) crypto.getRandomValues(a);
    else for (i = 0; i < 16; i++) a[i] = Math.random() * 256;
    for (i = 0; i < 16; i++) h += (a[i] + 256).toString(16).slice(1);
    return h;
  }
  try {
    vid = localStorage.getItem("pv_id");
    if (!/^[0-9a-f]{32}$/.test(vid || "")) { vid = id(); localStorage.setItem("pv_id", vid); }
  } catch (e) { vid = vid || id(); }
  function send(o) {
    o.k = site; o.v = vid;
    var b = JSON.stringify(o);
    try { if (n.sendBeacon && n.sendBeacon(url, b)) return; } catch (e) {}
    try { fetch(url, {method: "POST", body: b, keepalive: true, mode: "no-cors", credentials: "omit"}); } catch (e) {}
  }
  function param(name) {
    var m = new RegExp("[?&]" + name + "=([^&#]*)").exec(location.search);
    if (!m) return "";
    try { return decodeURIComponent(m[1].replace(/\+/g, " ")).slice(0, 150); } catch (e) { return ""; }
  }
  function pageview() {
    var u = {}, k = ["source", "medium", "campaign", "content", "term"], i, v;
    for (i = 0; i < k.length; i++) { v = param("utm_" + k[i]); if (v) u[k[i]] = v; }
    send({e: "pageview", p: (location.pathname || "/").slice(0, 500), r: d.referrer.slice(0, 2000), u: u,
      l: param("pv").slice(0, 16)});
  }
  function now() { return new Date().getTime(); }
  function visible() { return d.visibilityState != "hidden"; }
  function engaged() {
    if (since) { shown += now() - since; since = 0; }
    var sec = Math.min(Math.round(shown / 1000), 1800);
    if (sec > 0) { shown = 0; send({e: "engagement", s: sec}); }
  }
  d.addEventListener("visibilitychange", function () { if (visible()) since = now(); else engaged(); });
  w.addEventListener("pagehide", engaged);
  if (visible()) since = now();
  function api(cmd, name, p) {
    p = p || {};
    if (cmd == "pageview") pageview();
    else if (cmd == "goal" && name) {
      var o = {e: "goal", g: String(name)};
      if (p.revenue != null) o.rev = +p.revenue;
      if (p.currency) o.cur = String(p.currency).toUpperCase();
      if (p.order_id != null) o.oid = String(p.order_id);
      send(o);
    }
  }
  w.portevoix = api;
  api.visitor = function () { return vid; };
  pageview();
  for (var i = 0; i < q.length; i++) api.apply(null, q[i]);
})(window, document, navigator);
