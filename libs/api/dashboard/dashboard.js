// The dolphin dashboard (docs/observability.md "Dashboard"): reads the control API only.
// Scans arrive live through /api/watch (server-sent events); everything else is polled every
// 2 s. Any part whose data is not on the bus yet shows "no data yet", never an error.
"use strict";
(function () {
  const POLL_MS = 2000;
  const MAX_POINTS = 200;
  const $ = (id) => document.getElementById(id);
  const text = (id, value) => { $(id).textContent = value; };
  const show = (id, visible) => { $(id).classList.toggle("hidden", !visible); };
  // Bus values are data, never markup: everything put into innerHTML goes through esc().
  const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const esc = (v) => String(v === undefined || v === null ? "-" : v).replace(/[&<>"']/g, (c) => ESC[c]);
  const state = { lastScan: null, scanSeen: false, equity: {}, sensorsAt: null };

  async function getJson(path) {
    const r = await fetch(path, { headers: { Accept: "application/json" } });
    if (r.status === 404 || r.status === 503) return null;  // absent, or the service is not up
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.json();
  }
  // One key of a bus map, or null: reads the map (200 even when empty), so an absent key is no
  // failed request in the browser's console.
  async function busValue(map, key) {
    const m = await getJson("/api/bus/" + encodeURIComponent(map));
    return m && m.entries && Object.prototype.hasOwnProperty.call(m.entries, key) ? m.entries[key] : null;
  }

  function lineChart(canvasId, datasets, yMin, yMax) {
    if (typeof Chart === "undefined") return null;
    const scales = { x: { ticks: { color: "#8b98a5", maxTicksLimit: 6 }, grid: { color: "#26323d" } },
                     y: { ticks: { color: "#8b98a5" }, grid: { color: "#26323d" } } };
    if (yMin !== undefined) { scales.y.min = yMin; scales.y.max = yMax; }
    return new Chart($(canvasId), {
      type: "line",
      data: { labels: [], datasets: datasets.map((d) => Object.assign({ data: [], borderWidth: 1.5,
                                                                       pointRadius: 0, tension: 0.2 }, d)) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: scales,
                 plugins: { legend: { labels: { color: "#e6edf3", boxWidth: 10 } } } },
    });
  }
  const colors = ["#58a6ff", "#3fb950", "#d29922", "#f778ba", "#a371f7", "#79c0ff"];
  const velChart = lineChart("veldiv-chart", [{ label: "vel_div", borderColor: colors[0] }]);
  const equityChart = lineChart("equity-chart", []);
  const sensorNames = ["m1_proc", "m2_heartbeat", "m3_data_freshness", "m4_control_plane", "m5_coherence"];
  const sensorChart = lineChart("sensor-chart",
    sensorNames.map((n, i) => ({ label: n.split("_")[0].toUpperCase(), borderColor: colors[i] })), 0, 1);

  function push(chart, label, values) {
    if (!chart) return;
    chart.data.labels.push(label);
    values.forEach((v, i) => chart.data.datasets[i].data.push(v));
    if (chart.data.labels.length > MAX_POINTS) {
      chart.data.labels.shift();
      chart.data.datasets.forEach((d) => d.data.shift());
    }
    chart.update();
    chart.canvas.dataset.points = String(chart.data.labels.length);
  }

  function ageText(ts) {
    if (!ts) return "-";
    const s = (Date.now() - Date.parse(ts)) / 1000;
    if (!isFinite(s)) return "-";
    return s < 60 ? s.toFixed(1) + " s" : (s / 60).toFixed(1) + " min";
  }

  function cls(el, name) {
    el.className = el.className.split(" ").filter((c) => c === "pill" || c === "big").join(" ");
    if (name) el.classList.add(name);
  }

  // --- scans (live)
  function onScan(scan) {
    if (!scan || typeof scan.scan_number !== "number") return;
    const key = scan.epoch + "/" + scan.scan_number;
    show("scans-empty", false);
    text("scan-number", "#" + scan.scan_number);
    text("scan-regime", scan.regime || "-");
    cls($("scan-regime"), scan.regime);
    text("scan-veldiv", typeof scan.vel_div === "number" ? scan.vel_div.toFixed(5) : "-");
    state.lastScan = scan;
    if (state.lastKey !== key) {
      state.lastKey = key;
      push(velChart, String(scan.scan_number), [typeof scan.vel_div === "number" ? scan.vel_div : null]);
    }
  }
  function watchScans() {
    const es = new EventSource("/api/watch/DOLPHIN_FEATURES/latest_eigen_scan");
    const handler = (e) => {
      try { onScan(JSON.parse(e.data).value); } catch (err) { /* a malformed frame is skipped */ }
    };
    ["SNAPSHOT", "ADDED", "UPDATED"].forEach((t) => es.addEventListener(t, handler));
    es.onopen = () => { text("conn", "live"); cls($("conn"), "ok"); };
    es.onerror = () => { text("conn", "reconnecting"); cls($("conn"), "degraded"); };
  }

  // --- traders
  async function pollTraders() {
    const bus = await getJson("/api/bus");
    const maps = bus && bus.maps ? Object.keys(bus.maps) : [];
    const colors_ = maps.filter((m) => m.startsWith("DOLPHIN_STATE_")).map((m) => m.substring(14)).sort();
    show("traders-empty", colors_.length === 0);
    const list = $("trader-list");
    const html = [];
    for (const color of colors_) {
      const st = await busValue("DOLPHIN_STATE_" + color, "latest_nautilus");
      if (!st) continue;
      const pnl = await getJson("/api/bus/DOLPHIN_PNL_" + color);
      let today = null;
      if (pnl && pnl.keys && pnl.keys.length) today = pnl.entries[pnl.keys[pnl.keys.length - 1]];
      const positions = (st.positions || []).map((p) => esc(p.side) + " " + esc(p.asset) + " " +
                                                          Number(p.qty).toPrecision(4)).join(", ") || "flat";
      const dayPnl = today ? (today.realized + today.unrealized - today.fees) : null;
      html.push('<div class="trader"><b>' + esc(color) + '</b> <span class="' + esc(st.trading_state) + '">' +
                esc(st.trading_state) + '</span> · posture <span class="' + esc(st.posture) + '">' + esc(st.posture) +
                '</span>' +
                ' · equity ' + Number(st.equity).toFixed(2) +
                (dayPnl === null ? "" : ' · today ' + (dayPnl >= 0 ? "+" : "") + dayPnl.toFixed(2)) +
                '<br><span class="muted">positions: ' + positions + '; scan #' + esc(st.scan_number) + '</span></div>');
      addEquity(color, st);
    }
    list.innerHTML = html.join("");
  }
  function addEquity(color, st) {
    if (!equityChart || st.scan_number === null) return;
    let ds = equityChart.data.datasets.find((d) => d.label === color);
    if (!ds) {
      ds = { label: color, data: [], borderColor: colors[equityChart.data.datasets.length % colors.length],
             borderWidth: 1.5, pointRadius: 0, tension: 0.2 };
      equityChart.data.datasets.push(ds);
    }
    if (state.equity[color] === st.scan_number) return;
    state.equity[color] = st.scan_number;
    ds.data.push({ x: String(st.scan_number), y: st.equity });
    if (ds.data.length > MAX_POINTS) ds.data.shift();
    equityChart.data.labels = ds.data.map((p) => p.x);
    equityChart.update();
    equityChart.canvas.dataset.points = String(ds.data.length);
  }

  // --- health and safety
  async function pollHealth() {
    const mhs = await busValue("DOLPHIN_META_HEALTH", "latest");
    show("health-empty", !mhs);
    if (mhs) {
      text("mhs-status", mhs.status);
      cls($("mhs-status"), mhs.status);
      text("mhs-rm", Number(mhs.rm_meta).toFixed(3));
      const rows = sensorNames.map((n) => '<tr><td>' + n + '</td><td class="sensor">' + Number(mhs[n]).toFixed(2) +
                                          "</td></tr>");
      $("sensors").tBodies[0].innerHTML = rows.join("");
      if (state.sensorsAt !== mhs.timestamp) {
        state.sensorsAt = mhs.timestamp;
        push(sensorChart, (mhs.timestamp || "").substring(11, 19), sensorNames.map((n) => mhs[n]));
      }
    }
    const safety = await busValue("DOLPHIN_SAFETY", "latest");
    text("safety-posture", safety ? safety.posture + " (Rm " + Number(safety.Rm).toFixed(2) + ")" : "-");
    if (safety) cls($("safety-posture"), safety.posture);
  }

  // --- services (this process's Runner, or the supervisor's table under `dolphin up`)
  async function pollServices(st) {
    const rows = [];
    if (st && st.services) {
      for (const section of Object.values(st.services)) {
        if (section && Array.isArray(section.service_states)) {
          for (const s of section.service_states) {
            rows.push([s.name, s.up ? "yes" : "no", s.status, s.restarts]);
          }
        }
        if (section && Array.isArray(section.services) && section.services.length && typeof section.services[0] === "object") {
          for (const s of section.services) rows.push([s.name, s.pid > 0 ? "yes" : "no", s.state_text, s.restarts]);
        }
      }
    }
    show("services-empty", rows.length === 0);
    $("service-table").tBodies[0].innerHTML = rows.map((r) =>
      "<tr><td>" + esc(r[0]) + '</td><td class="' + (r[1] === "yes" ? "ok" : "bad") + '">' + r[1] +
      '</td><td class="' + esc(r[2]) + '">' + esc(r[2]) + "</td><td>" + esc(r[3]) + "</td></tr>").join("");
  }

  // --- pools and recent flow runs (when this process runs the scheduler)
  async function pollPools(st) {
    const hasScheduler = st && st.services && Object.prototype.hasOwnProperty.call(st.services, "scheduler");
    const pools = hasScheduler ? await getJson("/api/pools") : null;
    const runs = hasScheduler ? await getJson("/api/flow_runs?limit=8") : null;
    const havePools = Array.isArray(pools) && pools.length > 0;
    show("pools-empty", !havePools);
    $("pool-table").tBodies[0].innerHTML = (havePools ? pools : []).map((p) =>
      "<tr><td>" + esc(p.name) + "</td><td>" + esc(p.status) + "</td><td>" + esc(p.slots_used) + "/" +
      esc(p.concurrency_limit) + "</td><td>" + esc(p.late) + "</td></tr>").join("");
    $("run-table").tBodies[0].innerHTML = (Array.isArray(runs) ? runs : []).map((r) =>
      "<tr><td>" + esc(r.id) + "</td><td>" + esc(r.deployment) + '</td><td class="' + esc(r.state_name) + '">' +
      esc(r.state_name) + "</td></tr>").join("");
  }

  async function poll() {
    let st = null;
    try { st = await getJson("/api/status"); } catch (err) { /* shown below */ }
    for (const f of [pollTraders, pollHealth, pollServices, pollPools]) {
      try { await f(st); } catch (err) { text("conn", "API error"); cls($("conn"), "bad"); }
    }
  }

  async function start() {
    const h = await getJson("/api/health").catch(() => null);
    if (h) text("process", h.service + " · " + h.version + " · " + h.bus);
    watchScans();
    await poll();
    setInterval(poll, POLL_MS);
    setInterval(() => { if (state.lastScan) text("scan-age", ageText(state.lastScan.bridge_ts)); }, 1000);
  }
  start();
})();
