// Runs the tracker script in a fake browser (node's vm) and prints what it sent, as JSON.
// Usage: node pv_harness.js '<options JSON>'   options: dnt, gpc, search, referrer, calls (after load),
// queued (before load), hide (simulate the tab being hidden after ms).
const fs = require("fs"), vm = require("vm"), path = require("path");
const options = JSON.parse(process.argv[2] || "{}");
const source = fs.readFileSync(path.join(__dirname, "..", "static", "analytics", "pv.js"), "utf8");
const sent = [], store = {}, listeners = {};
let cookieTouched = false, now = 1000000;
const document = {
  currentScript: {src: "https://pv.example/t/pv.js", getAttribute: (name) => (name === "data-site" ? "site1234key" : null)},
  referrer: options.referrer || "",
  visibilityState: "visible",
  addEventListener: (type, fn) => { (listeners[type] = listeners[type] || []).push(fn); },
};
Object.defineProperty(document, "cookie", {get() { cookieTouched = true; return ""; }, set() { cookieTouched = true; }});
const navigator = {
  doNotTrack: options.dnt ? "1" : null,
  globalPrivacyControl: !!options.gpc,
  sendBeacon: (url, body) => { sent.push({url, body: JSON.parse(body), type: typeof body}); return true; },
};
const window = {addEventListener: (type, fn) => { (listeners[type] = listeners[type] || []).push(fn); }};
if (options.queued) window.portevoix = Object.assign(function () {}, {q: options.queued});
class FakeDate { getTime() { return now; } }
const context = {
  window, document, navigator, Date: FakeDate, Math, JSON, RegExp, String, Uint8Array, decodeURIComponent,
  location: {pathname: "/landing", search: options.search || ""},
  localStorage: {getItem: (k) => (k in store ? store[k] : null), setItem: (k, v) => { store[k] = String(v); }},
  crypto: require("crypto").webcrypto,
};
window.crypto = context.crypto;
vm.createContext(context);
vm.runInContext(source, context);
for (const call of options.calls || []) window.portevoix(...call);
if (options.hide) {
  now += options.hide;
  document.visibilityState = "hidden";
  (listeners.visibilitychange || []).forEach((fn) => fn());
}
process.stdout.write(JSON.stringify({sent, store, cookieTouched}));
