// Drives headless Chromium over the DevTools protocol (Node's built-in WebSocket; no npm
// package) for dolphin's dashboard test (tests/integration/observability/dashboard_test.cc).
//
//   node --experimental-websocket dashboard_cdp.mjs CHROMIUM URL WIDTH HEIGHT SAMPLES INTERVAL_MS
//        SCREENSHOT.png PROFILE_DIR [report]
//
// With `report`, URL is a daily report (file://.../D.html, dolphin report --day D) and the
// snapshot is its title, parity verdict and, per chart, the points drawn and the canvas width.
// Loads URL at WIDTH x HEIGHT, takes SAMPLES snapshots of the page INTERVAL_MS apart (the first
// after INTERVAL_MS), saves a screenshot, and prints one JSON object:
//   {"errors": [...console errors, exceptions, failed loads...], "samples": [{...}, ...]}
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const [chromium, url, width, height, samples, intervalMs, screenshot, profile, kind] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = spawn(chromium, ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
  "--remote-debugging-port=0", "--user-data-dir=" + profile, `--window-size=${width},${height}`, "about:blank"],
  { stdio: ["ignore", "ignore", "ignore"] });
let done = false;
const finish = (code, out) => {
  if (done) return;
  done = true;
  if (out) process.stdout.write(JSON.stringify(out) + "\n");
  browser.kill("SIGKILL");
  process.exit(code);
};
setTimeout(() => finish(3, { error: "timed out" }), 120000);

const portFile = join(profile, "DevToolsActivePort");
for (let i = 0; i < 300 && !existsSync(portFile); i++) await sleep(100);
if (!existsSync(portFile)) finish(2, { error: "chromium wrote no DevToolsActivePort" });
const port = readFileSync(portFile, "utf8").split("\n")[0];
let page = null;
for (let i = 0; i < 100 && !page; i++) {
  try {
    const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    page = list.find((t) => t.type === "page");
  } catch (e) { /* not up yet */ }
  if (!page) await sleep(100);
}
if (!page) finish(2, { error: "no page target" });

const ws = new WebSocket(page.webSocketDebuggerUrl);
await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
let nextId = 0;
const pending = new Map();
const errors = [];
let loaded = null;
ws.onmessage = (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id !== undefined && pending.has(msg.id)) {
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
    return;
  }
  if (msg.method === "Runtime.exceptionThrown") {
    errors.push("exception: " + JSON.stringify(msg.params.exceptionDetails.exception?.description ||
                                               msg.params.exceptionDetails.text));
  } else if (msg.method === "Runtime.consoleAPICalled" && (msg.params.type === "error" || msg.params.type === "assert")) {
    errors.push("console." + msg.params.type + ": " + msg.params.args.map((a) => a.value ?? a.description).join(" "));
  } else if (msg.method === "Log.entryAdded" && msg.params.entry.level === "error") {
    errors.push("log: " + msg.params.entry.text + " " + (msg.params.entry.url || ""));
  } else if (msg.method === "Page.loadEventFired" && loaded) {
    loaded();
  }
};
const send = (method, params = {}) => new Promise((resolve) => {
  const id = ++nextId;
  pending.set(id, resolve);
  ws.send(JSON.stringify({ id, method, params }));
});

await send("Runtime.enable");
await send("Log.enable");
await send("Page.enable");
await send("Emulation.setDeviceMetricsOverride",
           { width: Number(width), height: Number(height), deviceScaleFactor: 1, mobile: Number(width) < 600 });
const load = new Promise((r) => { loaded = r; });
await send("Page.navigate", { url });
await load;

// What the test asserts, read from the live page.
const probe = `JSON.stringify((() => {
  const hidden = (id) => document.getElementById(id).classList.contains("hidden");
  const points = (id) => Number(document.getElementById(id).dataset.points || 0);
  return {
    scan: document.getElementById("scan-number").textContent,
    conn: document.getElementById("conn").textContent,
    velPoints: points("veldiv-chart"), equityPoints: points("equity-chart"), sensorPoints: points("sensor-chart"),
    sensors: Array.from(document.querySelectorAll("#sensors td:first-child")).map((td) => td.textContent),
    traders: document.getElementById("trader-list").textContent,
    mhs: document.getElementById("mhs-status").textContent,
    empty: { scans: !hidden("scans-empty"), traders: !hidden("traders-empty"), health: !hidden("health-empty"),
             services: !hidden("services-empty"), pools: !hidden("pools-empty") },
    emptyText: document.getElementById("scans-empty").textContent,
    bodyWidth: document.documentElement.scrollWidth,
  };
})())`;
const reportProbe = `JSON.stringify((() => {
  const parity = document.querySelector("[id^=parity-]");
  return {
    title: document.getElementById("title").textContent,
    parity: parity ? parity.textContent : "",
    charts: window.dolphinReport ? window.dolphinReport.charts.map((c) => ({
      id: c.id, points: c.points, width: document.getElementById(c.id).width })) : null,
    bodyWidth: document.documentElement.scrollWidth,
  };
})())`;
const expression = kind === "report" ? reportProbe : probe;
const out = [];
for (let i = 0; i < Number(samples); i++) {
  await sleep(Number(intervalMs));
  const r = await send("Runtime.evaluate", { expression, returnByValue: true });
  out.push(JSON.parse(r.result.result.value));
}
const shot = await send("Page.captureScreenshot", { format: "png" });
writeFileSync(screenshot, Buffer.from(shot.result.data, "base64"));
finish(0, { errors, samples: out });
