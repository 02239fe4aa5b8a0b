// Copyright idgen authors.
//
// The dashboard page: one self-contained HTML document with inline CSS and
// JavaScript (no CDN, no build step). It polls the JSON API once a second.
#include <string>

#include "src/apphost/dashboard.h"

namespace idgen::apphost {

const std::string& DashboardPage() {
  static const std::string* page = new std::string(R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>idgen up - dashboard</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; color: #1d2330; background: #f5f6f8; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  nav button { background: none; border: none; color: #aab; font-size: 14px; cursor: pointer; padding: 4px 8px; }
  nav button.active { color: #fff; border-bottom: 2px solid #6cf; }
  main { padding: 16px 20px; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e3e5ea; vertical-align: top; }
  th { background: #eef0f4; font-weight: 600; }
  .state { font-weight: 600; padding: 1px 8px; border-radius: 10px; }
  .healthy { background: #d7f5df; color: #17692f; }
  .starting, .waiting, .stopping { background: #fff4cf; color: #7a5a00; }
  .unhealthy, .backoff, .failed { background: #fde0df; color: #9b1c1c; }
  .stopped { background: #e6e6e6; color: #555; }
  button.act { margin-right: 4px; }
  pre#log { background: #111; color: #ddd; padding: 10px; height: 420px; overflow: auto; font-size: 12px; }
  .stderr { color: #f99; } .apphost { color: #6cf; }
  .muted { color: #778; font-size: 12px; }
  details summary { cursor: pointer; }
  #trace-list tr { cursor: pointer; }
  #trace-list tr:hover { background: #eef6ff; }
  .wf-row { display: flex; align-items: center; height: 24px; border-bottom: 1px solid #eee; background: #fff; }
  .wf-label { width: 340px; flex: none; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; padding-left: 6px; font-size: 12px; }
  .wf-track { position: relative; flex: 1; height: 16px; }
  .wf-bar { position: absolute; height: 16px; border-radius: 3px; min-width: 2px; font-size: 11px; color: #fff; padding-left: 4px; box-sizing: border-box; white-space: nowrap; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 14px; }
  .chart { background: #fff; padding: 8px; border: 1px solid #e3e5ea; }
  .chart h3 { font-size: 13px; margin: 0 0 4px; }
  .legend span { margin-right: 10px; font-size: 12px; }
</style>
</head>
<body>
<header><h1>idgen up</h1>
  <nav>
    <button data-tab="resources" class="active">Resources</button>
    <button data-tab="logs">Console logs</button>
    <button data-tab="traces">Traces</button>
    <button data-tab="metrics">Metrics</button>
  </nav>
  <span class="muted" id="status"></span>
</header>
<main>
<section id="tab-resources">
  <table id="resources">
    <thead><tr><th>Resource</th><th>State</th><th>PID</th><th>Endpoints</th><th>Restarts</th><th>Health</th><th>Actions</th></tr></thead>
    <tbody></tbody>
  </table>
</section>
<section id="tab-traces" hidden>
  <p class="muted">Spans the services exported to this AppHost over OTLP (newest first). Click a trace for its waterfall.</p>
  <table id="trace-list"><thead><tr><th>Time</th><th>Trace</th><th>Services</th><th>Spans</th><th>Duration</th></tr></thead><tbody></tbody></table>
  <h2 id="trace-title"></h2>
  <div id="waterfall"></div>
</section>
<section id="tab-metrics" hidden>
  <p class="muted" id="metrics-received"></p>
  <div class="charts" id="charts"></div>
  <h3>Latest values</h3>
  <table id="latest"><thead><tr><th>Instance</th><th>Lease TTL left (ms)</th><th>Clock lag (ms)</th><th>Reservation headroom (ms)</th><th>Ready</th><th>IDs issued</th></tr></thead><tbody></tbody></table>
</section>
<section id="tab-logs" hidden>
  <label>Resource <select id="log-resource"></select></label>
  <pre id="log"></pre>
</section>
</main>
<script>
"use strict";
const $ = (sel) => document.querySelector(sel);
let resources = [];
let logResource = "";
let logAfter = 0;

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => {
  document.querySelectorAll("nav button").forEach((x) => x.classList.toggle("active", x === b));
  document.querySelectorAll("main > section").forEach((s) => { s.hidden = s.id !== "tab-" + b.dataset.tab; });
}));

async function act(name, action) {
  const res = await fetch(`/api/resources/${encodeURIComponent(name)}/${action}`, { method: "POST" });
  if (!res.ok) alert((await res.json()).detail);
  refresh();
}

function renderResources() {
  const rows = resources.map((r) => {
    const eps = r.endpoints.map((e) => e.url.startsWith("http") ? `<a href="${esc(e.url)}" target="_blank">${esc(e.name)}</a>` : `${esc(e.name)} ${esc(e.url)}`).join("<br>");
    const env = Object.entries(r.env).map(([k, v]) => `${esc(k)}=${esc(v)}`).join("<br>");
    return `<tr data-resource="${esc(r.name)}">
      <td><b>${esc(r.name)}</b> <span class="muted">${esc(r.kind)}</span>
        <details><summary class="muted">environment</summary><div class="muted">${env || "(none)"}</div></details></td>
      <td><span class="state ${esc(r.state)}" data-state="${esc(r.state)}">${esc(r.state)}</span></td>
      <td>${r.pid || ""}</td>
      <td>${eps}</td>
      <td data-restarts="${r.restarts}">${r.restarts}${r.manual_restarts ? ` <span class="muted">(+${r.manual_restarts} manual)</span>` : ""}
        ${r.last_exit ? `<div class="muted">last: ${esc(r.last_exit)}</div>` : ""}</td>
      <td class="muted">${esc(r.health_detail).slice(0, 200)}</td>
      <td><button class="act" data-action="stop">Stop</button><button class="act" data-action="start">Start</button><button class="act" data-action="restart">Restart</button></td>
    </tr>`;
  });
  $("#resources tbody").innerHTML = rows.join("");
  document.querySelectorAll("#resources button.act").forEach((b) => {
    b.addEventListener("click", () => act(b.closest("tr").dataset.resource, b.dataset.action));
  });
  const sel = $("#log-resource");
  if (sel.options.length !== resources.length) {
    sel.innerHTML = resources.map((r) => `<option>${esc(r.name)}</option>`).join("");
    if (!logResource && resources.length) { logResource = resources[0].name; }
    sel.value = logResource;
  }
  const healthy = resources.filter((r) => r.state === "healthy").length;
  $("#status").textContent = `${healthy}/${resources.length} healthy`;
}

$("#log-resource").addEventListener("change", (e) => {
  logResource = e.target.value; logAfter = 0; $("#log").innerHTML = "";
  pollLogs();
});

async function pollLogs() {
  if (!logResource) return;
  const res = await fetch(`/api/resources/${encodeURIComponent(logResource)}/logs?after=${logAfter}`);
  if (!res.ok) return;
  const body = await res.json();
  if (body.resource !== logResource) return;
  const pre = $("#log");
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 5;
  for (const l of body.lines) {
    const line = document.createElement("div");
    line.className = l.stream;
    line.textContent = `${new Date(l.unix_ms).toISOString().slice(11, 23)} ${l.text}`;
    pre.appendChild(line);
    logAfter = l.seq;
  }
  while (pre.childNodes.length > 3000) pre.removeChild(pre.firstChild);
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

const COLORS = ["#3b7dd8", "#d8743b", "#3bb36b", "#a13bd8", "#d83b6b", "#6b6b6b", "#1aa3a3", "#b3a11a"];
const serviceColor = {};
function colorFor(service) {
  if (!(service in serviceColor)) serviceColor[service] = COLORS[Object.keys(serviceColor).length % COLORS.length];
  return serviceColor[service];
}

let openTrace = "";
async function showTrace(id) {
  openTrace = id;
  const res = await fetch(`/api/traces/${id}`);
  if (!res.ok) return;
  const t = await res.json();
  const start = Math.min(...t.spans.map((s) => Number(BigInt(s.start_unix_nano) / 1000n)));
  const end = Math.max(...t.spans.map((s) => Number(BigInt(s.end_unix_nano) / 1000n)));
  const total = Math.max(1, end - start);
  const depth = {};
  for (const s of t.spans) depth[s.span_id] = s.parent_span_id in depth ? depth[s.parent_span_id] + 1 : 0;
  $("#trace-title").textContent = `Trace ${id} (${t.spans.length} spans, ${(total / 1000).toFixed(2)} ms)`;
  $("#waterfall").innerHTML = t.spans.map((s) => {
    const b = Number(BigInt(s.start_unix_nano) / 1000n) - start;
    const w = Number(BigInt(s.end_unix_nano) / 1000n) - Number(BigInt(s.start_unix_nano) / 1000n);
    const attrs = Object.entries(s.attributes).map(([k, v]) => `${k}=${v}`).join(" ");
    return `<div class="wf-row" data-span="${esc(s.span_id)}" data-service="${esc(s.service)}" title="${esc(attrs)}">
      <div class="wf-label" style="padding-left:${6 + 14 * depth[s.span_id]}px"><b>${esc(s.service)}</b> ${esc(s.name)} <span class="muted">${esc(s.kind)}</span></div>
      <div class="wf-track"><div class="wf-bar" style="left:${(100 * b / total).toFixed(2)}%;width:${Math.max(0.3, 100 * w / total).toFixed(2)}%;background:${s.status === "error" ? "#c0392b" : colorFor(s.service)}">${s.duration_ms.toFixed(2)} ms</div></div>
    </div>`;
  }).join("");
}

async function refreshTraces() {
  const list = await (await fetch("/api/traces?limit=50")).json();
  $("#trace-list tbody").innerHTML = list.map((t) => `<tr data-trace="${esc(t.trace_id)}">
    <td>${new Date(t.start_unix_ms).toISOString().slice(11, 23)}</td>
    <td>${esc(t.name)}${t.error ? ' <span class="state failed">error</span>' : ""}</td>
    <td>${t.services.map((s) => `<span style="color:${colorFor(s)}">${esc(s)}</span>`).join(", ")}</td>
    <td>${t.spans}</td><td>${t.duration_ms.toFixed(2)} ms</td></tr>`).join("");
  document.querySelectorAll("#trace-list tbody tr").forEach((tr) => tr.addEventListener("click", () => showTrace(tr.dataset.trace)));
}

// A small SVG line chart: one line per instance.
function chart(title, seriesByInstance, unit) {
  const all = Object.values(seriesByInstance).flat();
  if (all.length === 0) return `<div class="chart"><h3>${esc(title)}</h3><p class="muted">no data yet</p></div>`;
  const W = 400, H = 140, P = 30;
  const t0 = Math.min(...all.map((p) => p[0])), t1 = Math.max(...all.map((p) => p[0]));
  const vmax = Math.max(1e-9, ...all.map((p) => p[1]));
  const x = (t) => P + (W - P - 5) * (t1 === t0 ? 1 : (t - t0) / (t1 - t0));
  const y = (v) => H - 15 - (H - 25) * (v / vmax);
  const lines = Object.entries(seriesByInstance).map(([inst, pts]) =>
    `<polyline fill="none" stroke="${colorFor(inst)}" stroke-width="1.5" points="${pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ")}"/>`).join("");
  const legend = Object.keys(seriesByInstance).map((i) => `<span style="color:${colorFor(i)}">&#9632; ${esc(i)}</span>`).join("");
  return `<div class="chart" data-chart="${esc(title)}"><h3>${esc(title)}</h3>
    <svg width="${W}" height="${H}"><text x="2" y="12" font-size="10" fill="#778">${vmax.toPrecision(3)} ${esc(unit)}</text>
    <line x1="${P}" y1="${H - 15}" x2="${W}" y2="${H - 15}" stroke="#ccc"/>${lines}</svg>
    <div class="legend">${legend}</div></div>`;
}

async function refreshMetrics() {
  const m = await (await fetch("/api/metrics")).json();
  $("#metrics-received").textContent = `received: ${m.received.spans} spans, ${m.received.metric_exports} metric exports, ${m.received.log_records} log records`;
  const pick = (key) => Object.fromEntries(m.instances.filter((i) => i.series[key].length).map((i) => [i.instance, i.series[key]]));
  $("#charts").innerHTML = [
    chart("IDs issued per second", pick("ids_per_s"), "IDs/s"),
    chart("p99 latency of the ID API", pick("p99_ms"), "ms"),
    chart("Lease TTL left", pick("idgen.lease.ttl_left"), "ms"),
    chart("Clock lag behind last issued ID", pick("idgen.clock.lag"), "ms"),
  ].join("");
  const v = (x) => (x === undefined ? "" : Math.round(x));
  $("#latest tbody").innerHTML = m.instances.map((i) => `<tr><td>${esc(i.instance)}</td>
    <td>${v(i.latest["idgen.lease.ttl_left"])}</td><td>${v(i.latest["idgen.clock.lag"])}</td>
    <td>${v(i.latest["idgen.reservation.headroom"])}</td><td>${v(i.latest["idgen.node.ready"])}</td>
    <td>${v(i.latest["idgen.ids.issued"])}</td></tr>`).join("");
}

async function refresh() {
  try {
    resources = await (await fetch("/api/resources")).json();
    renderResources();
    if (!$("#tab-logs").hidden) await pollLogs();
    if (!$("#tab-traces").hidden) await refreshTraces();
    if (!$("#tab-metrics").hidden) await refreshMetrics();
  } catch (e) {
    $("#status").textContent = "AppHost not reachable";
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
)HTML");
  return *page;
}

}  // namespace idgen::apphost
