#include "dolphin/report/html_report.h"

#include <string_view>

#include "report_assets.h"

namespace dolphin::report {

namespace {

// The page: a figures table, then the charts the script draws from DAY. Chart.js 3 API.
constexpr std::string_view kHead = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dolphin report</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;padding:12px;background:#0f1720;color:#e6edf3}
h1{font-size:20px;margin:4px 0 12px}h2{font-size:17px;margin:18px 0 8px}
section{background:#16212c;border-radius:8px;padding:10px 12px;margin-bottom:14px}
table{border-collapse:collapse;font-size:13px;width:100%;max-width:720px}
td,th{padding:3px 8px;border-bottom:1px solid #253241;text-align:right}
td:first-child,th:first-child{text-align:left}
.ok{color:#3fb950;font-weight:bold}.failed{color:#f85149;font-weight:bold}
.other{color:#d29922;font-weight:bold}.muted{color:#8b949e;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px}
.chart{position:relative;height:240px}
</style></head><body>
<h1 id="title">dolphin report</h1>
<div id="root"></div>
<script>
)html";

constexpr std::string_view kPage = R"js(
(function () {
  const fmt = (v, d) => (typeof v !== 'number' ? String(v) :
    Number.isInteger(v) && d === undefined ? String(v) : v.toFixed(d === undefined ? 2 : d));
  // Ticks HH:MM over a day, HH:MM:SS when the charts span less than an hour.
  let span = 0;
  Object.values(DAY.traders || {}).forEach((t) => {
    const e = (t.series || {}).equity || [];
    if (e.length > 1) span = Math.max(span, e[e.length - 1][0] - e[0][0]);
  });
  const hhmm = (ms) => new Date(ms).toISOString().substring(11, span < 3600000 ? 19 : 16);
  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const charts = [];
  const timeAxis = { type: 'linear', ticks: { callback: (v) => hhmm(v), color: '#8b949e' },
                     grid: { color: '#253241' } };
  const yAxis = { ticks: { color: '#8b949e' }, grid: { color: '#253241' } };
  function chart(parent, id, config) {
    const box = el('div', { class: 'chart' });
    const canvas = el('canvas', { id: id });
    box.appendChild(canvas);
    parent.appendChild(box);
    config.options = Object.assign({ animation: false, responsive: true,
      maintainAspectRatio: false, plugins: { legend: { labels: { color: '#e6edf3' } } } },
      config.options || {});
    charts.push(new Chart(canvas, config));
  }
  const root = document.getElementById('root');
  document.getElementById('title').textContent = 'dolphin report ' + DAY.day;
  root.appendChild(el('p', { class: 'muted' }, 'generated ' + DAY.generated_at + ', ' +
    DAY.scans.files_of_day + ' scan files of the day in ' + DAY.scans.dir));
  const colors = Object.keys(DAY.traders || {});
  if (colors.length === 0) root.appendChild(el('p', {}, 'No trader configured.'));
  colors.forEach((color) => {
    const t = DAY.traders[color];
    const s = el('section', { id: 'trader-' + color });
    s.appendChild(el('h2', {}, color));
    const v = t.parity.verdict;
    const p = el('p', {});
    p.appendChild(el('span', {}, 'parity: '));
    p.appendChild(el('span', { class: v === 'ok' ? 'ok' : v === 'failed' ? 'failed' : 'other',
                               id: 'parity-' + color }, v));
    p.appendChild(el('span', { class: 'muted' }, ' ' + t.parity.fills_compared +
      ' fills compared over ' + t.parity.scans + ' scans' +
      (t.parity.first_difference ? ': ' + t.parity.first_difference : '')));
    s.appendChild(p);
    const live = t.live || {};
    const bt = t.backtest || {};
    const table = el('table', {});
    const head = el('tr', {});
    ['', 'live (journal)', 'plain replay'].forEach((h) => head.appendChild(el('th', {}, h)));
    table.appendChild(head);
    [['net PnL', live.net_pnl, bt.net_pnl], ['return %', live.return_pct, bt.return_pct],
     ['fills', live.fills, bt.fills], ['realized', live.realized, bt.realized],
     ['fees', live.fees, bt.fees], ['max drawdown %', live.max_drawdown_pct, bt.max_drawdown_pct],
     ['scans', live.scans, bt.scans], ['stale scans', live.stale_scans, bt.stale_scans],
     ['equity end', live.end_equity, bt.final_equity]].forEach((row) => {
      const tr = el('tr', {});
      tr.appendChild(el('td', {}, row[0]));
      tr.appendChild(el('td', {}, row[1] === undefined ? '-' : fmt(row[1])));
      tr.appendChild(el('td', {}, row[2] === undefined ? '-' : fmt(row[2])));
      table.appendChild(tr);
    });
    s.appendChild(table);
    const grid = el('div', { class: 'grid' });
    s.appendChild(grid);
    const series = t.series || { equity: [], drawdown_pct: [] };
    chart(grid, 'equity-' + color, { type: 'line', data: { datasets: [
      { label: 'equity', data: series.equity.map((q) => ({ x: q[0], y: q[1] })),
        borderColor: '#58a6ff', pointRadius: 0, borderWidth: 1.5, yAxisID: 'y' },
      { label: 'drawdown %', data: series.drawdown_pct.map((q) => ({ x: q[0], y: -q[1] })),
        borderColor: '#f85149', backgroundColor: 'rgba(248,81,73,0.15)', fill: true,
        pointRadius: 0, borderWidth: 1, yAxisID: 'dd' }] },
      options: { scales: { x: timeAxis, y: yAxis,
        dd: Object.assign({ position: 'right' }, yAxis) } } });
    const fills = t.fill_list || [];
    Object.entries(t.prices || {}).forEach(([asset, points], i) => {
      const mine = fills.filter((f) => f.asset === asset);
      chart(grid, 'price-' + color + '-' + i, { type: 'line', data: { datasets: [
        { label: asset, data: points.map((q) => ({ x: q[0], y: q[1] })), borderColor: '#8b949e',
          pointRadius: 0, borderWidth: 1 },
        { type: 'scatter', label: 'buys', data: mine.filter((f) => f.side === 'BUY')
            .map((f) => ({ x: f.t, y: f.price })), backgroundColor: '#3fb950', pointRadius: 4 },
        { type: 'scatter', label: 'sells', data: mine.filter((f) => f.side === 'SELL')
            .map((f) => ({ x: f.t, y: f.price })), backgroundColor: '#f85149', pointRadius: 4,
          pointStyle: 'triangle' }] },
        options: { scales: { x: timeAxis, y: yAxis } } });
    });
    const regimes = Object.keys(t.pnl_by_regime || {});
    chart(grid, 'regime-' + color, { type: 'bar', data: { labels: regimes, datasets: [
      { label: 'PnL by regime', data: regimes.map((r) => t.pnl_by_regime[r]),
        backgroundColor: regimes.map((r) => t.pnl_by_regime[r] >= 0 ? '#3fb950' : '#f85149') }] },
      options: { scales: { x: yAxis, y: yAxis } } });
    root.appendChild(s);
  });
  const h = DAY.health || { timeline: [], seconds: {} };
  const hs = el('section', { id: 'health' });
  hs.appendChild(el('h2', {}, 'health (MHS)'));
  const code = { GREEN: 3, DEGRADED: 2, CRITICAL: 1, DEAD: 0 };
  const secs = Object.entries(h.seconds || {}).map(([k, v]) => k + ' ' + fmt(v / 60, 1) + ' min');
  hs.appendChild(el('p', { class: 'muted' }, h.missing ? 'no health history for this day' :
    (secs.join(', ') || 'no record') + (h.bad_lines ? ' (' + h.bad_lines + ' unreadable lines)' : '')));
  // The last status holds until the next minute line would have come: drawn as a step.
  const tl = h.timeline.slice();
  if (tl.length > 0) {
    const last = tl[tl.length - 1];
    tl.push([last[0] + 60000, last[1], last[2]]);
  }
  chart(hs, 'health-timeline', { type: 'line', data: { datasets: [
    { label: 'status (3 GREEN .. 0 DEAD)', stepped: true, borderColor: '#3fb950', pointRadius: 0,
      data: tl.map((q) => ({ x: q[0], y: code[q[1]] })) },
    { label: 'rm_meta', borderColor: '#58a6ff', pointRadius: 0, borderWidth: 1, yAxisID: 'rm',
      data: tl.map((q) => ({ x: q[0], y: q[2] })) }] },
    options: { scales: { x: timeAxis, y: Object.assign({ min: 0, max: 3 }, yAxis),
      rm: Object.assign({ position: 'right', min: 0, max: 1 }, yAxis) } } });
  root.appendChild(hs);
  window.dolphinReport = { charts: charts.map((c) => ({ id: c.canvas.id,
    points: c.data.datasets.reduce((n, d) => n + d.data.length, 0) })) };
})();
)js";

// JSON inside <script>: every '<' (only ever inside JSON strings) as \u003c, so neither "</script"
// nor "<!--" in the data can end or change the element.
std::string ScriptSafe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string RenderHtml(const Json& day) {
  std::string html(kHead);
  for (const EmbeddedAsset& a : ReportAssets()) {
    html.append(reinterpret_cast<const char*>(a.data), a.size);
  }
  html += "\n</script>\n<script>\nconst DAY = ";
  html += ScriptSafe(DumpJson(day));
  html += ";\n";
  html += kPage;
  html += "</script>\n</body></html>\n";
  return html;
}

}  // namespace dolphin::report
