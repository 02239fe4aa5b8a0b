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
</style>
</head>
<body>
<header><h1>idgen up</h1>
  <nav>
    <button data-tab="resources" class="active">Resources</button>
    <button data-tab="logs">Console logs</button>
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

async function refresh() {
  try {
    resources = await (await fetch("/api/resources")).json();
    renderResources();
    await pollLogs();
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
