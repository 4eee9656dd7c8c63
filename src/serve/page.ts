/**
 * The dashboard page: static HTML, a stylesheet and a browser script that reads /api/snapshot
 * and draws with Chart.js (served from node_modules by the server, never from a CDN). All Coder
 * data is put into the page with textContent, never as HTML. The page holds no credentials: the
 * only secret in it is the per-process apply token (when --allow-apply), which guards the POST
 * against other sites' pages.
 */

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export function dashboardHtml(o: { allowApply: boolean; applyToken: string | null; refreshSeconds: number }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>coder-agents dashboard</title>
<link rel="stylesheet" href="/assets/dashboard.css">
${o.applyToken ? `<meta name="apply-token" content="${escapeAttr(o.applyToken)}">` : ""}
</head>
<body data-allow-apply="${o.allowApply}" data-refresh-seconds="${o.refreshSeconds}">
<header>
  <h1>coder-agents <span class="sub">fleet dashboard</span></h1>
  <div id="status" class="status">loading…</div>
</header>
<main>
  <section id="timeline-section">
    <h2>Stops in the next <span id="horizon">24</span> h <span class="hint" id="zone"></span></h2>
    <div class="chart-box tall"><canvas id="timeline" aria-label="timeline of the next stops per owner"></canvas></div>
    <table id="timeline-table"><thead><tr><th>Owner</th><th>Workspace</th><th>Template</th><th>Stops at</th><th>Owner's time</th><th>In</th><th>Cause</th><th>Note</th></tr></thead><tbody></tbody></table>
    <details><summary id="later-summary">Later or only manually</summary>
      <table id="later-table"><thead><tr><th>Owner</th><th>Workspace</th><th>Template</th><th>Stops at</th><th>Cause</th></tr></thead><tbody></tbody></table>
    </details>
  </section>
  <section id="compliance-section">
    <h2>TTL compliance</h2>
    <div id="compliance-cards" class="cards"></div>
    <table id="compliance-table"><thead><tr><th>Workspace</th><th>Template</th><th>Status</th><th>Stops at</th><th>Time left</th></tr></thead><tbody></tbody></table>
  </section>
  <section id="savings-section">
    <h2>Savings per week <span class="hint" id="savings-total"></span></h2>
    <div class="chart-box"><canvas id="savings" aria-label="savings per ISO week"></canvas></div>
  </section>
  <section id="runs-section">
    <h2>Last runs</h2>
    <table id="runs-table"><thead><tr><th>Started</th><th>Command</th><th>Mode</th><th>Planned</th><th>Succeeded</th><th>Skipped</th><th>Failed</th><th>Status</th><th>Run id</th></tr></thead><tbody></tbody></table>
  </section>
  <section id="apply-section" hidden>
    <h2>Apply</h2>
    <p>Runs <code>quiet-hours --execute</code> now, with every safety rule (exclusions, circuit breaker, emergency-stop file, run lock, journal).</p>
    <button id="apply-button" type="button">Run quiet-hours --execute</button>
    <pre id="apply-result"></pre>
  </section>
</main>
<script src="/assets/chart.umd.min.js"></script>
<script src="/assets/dashboard.js"></script>
</body>
</html>
`;
}

export const DASHBOARD_CSS = `
:root { --fg: #1d2330; --muted: #687086; --line: #dfe3eb; --bg: #f6f7fa; --card: #fff; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; justify-content: space-between; padding: 14px 24px; background: #1d2330; color: #fff; }
h1 { font-size: 18px; margin: 0; } h1 .sub { font-weight: 400; color: #aab2c5; }
.status { font-size: 13px; color: #cfd6e6; } .status.error { color: #ffb4a8; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; padding: 16px 24px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; min-width: 0; }
#timeline-section, #runs-section, #apply-section { grid-column: 1 / -1; }
h2 { font-size: 15px; margin: 0 0 8px; } .hint { font-weight: 400; color: var(--muted); font-size: 13px; }
.chart-box { position: relative; height: 260px; } .chart-box.tall { height: 360px; }
table { width: 100%; border-collapse: collapse; margin-top: 8px; font-size: 13px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
.cards { display: flex; gap: 8px; flex-wrap: wrap; }
.card { flex: 1; min-width: 90px; border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
.card .n { font-size: 22px; font-weight: 700; } .card .l { color: var(--muted); font-size: 12px; }
.card.bad .n { color: #c0392b; } .card.warn .n { color: #d68910; }
details { margin-top: 8px; } summary { cursor: pointer; color: var(--muted); }
button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid #c0392b; background: #fff; color: #c0392b; cursor: pointer; }
pre { white-space: pre-wrap; font-size: 12px; }
`;

/** The browser script (plain ES2020, no build step). */
export const DASHBOARD_JS = String.raw`
"use strict";
(function () {
  var CAUSE_COLORS = { "ttl": "#3b7dd8", "autostop-requirement": "#8e44ad", "quiet-hours-policy": "#d35400", "prune": "#16a085" };
  var timelineChart = null;
  var savingsChart = null;
  var snapshot = null;

  function el(tag, attrs) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return e;
  }
  function fill(tbodyId, rows) {
    var body = document.querySelector("#" + tbodyId + " tbody");
    body.replaceChildren.apply(body, rows);
  }
  function fmtHours(h) {
    if (h === null) return "never";
    if (h < 0) return "overdue " + fmtHours(-h);
    var m = Math.round(h * 60);
    return (m >= 60 ? Math.floor(m / 60) + "h " : "") + (m % 60) + "m";
  }
  function localTime(iso, zone, withDay, withDate) {
    var opts = { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withDay) opts.weekday = "short";
    if (withDate) { opts.day = "numeric"; opts.month = "short"; opts.year = "numeric"; }
    return new Intl.DateTimeFormat("en-GB", opts).format(new Date(iso));
  }
  function setStatus(text, isError) {
    var s = document.getElementById("status");
    s.textContent = text;
    s.className = "status" + (isError ? " error" : "");
  }

  function renderTimeline(s) {
    document.getElementById("horizon").textContent = String(s.horizon_hours);
    document.getElementById("zone").textContent = "(times in " + s.zone + ", from " + localTime(s.now, s.zone, true) + ")";
    var rows = s.timeline;
    var labels = rows.map(function (r) { return r.owner + "/" + r.name; });
    var data = rows.map(function (r) { return [0, Math.max(0, Math.min(s.horizon_hours, r.hours_from_now))]; });
    var colors = rows.map(function (r) { return r.hours_from_now < 0 ? "#c0392b" : (CAUSE_COLORS[r.cause] || "#7f8c8d"); });
    var nowMs = Date.parse(s.now);
    var config = {
      type: "bar",
      data: { labels: labels, datasets: [{ label: "running until its next stop", data: data, backgroundColor: colors, borderSkipped: false, barPercentage: 0.7, minBarLength: 6 }] },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { type: "linear", min: 0, max: s.horizon_hours, ticks: { stepSize: 2, callback: function (v) { return localTime(new Date(nowMs + v * 3600000).toISOString(), s.zone, false); } } },
          y: { ticks: { autoSkip: false } }
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (c) { var r = rows[c.dataIndex]; return (r.cause || "manual") + ": " + (r.stops_at_local || "never") + " (" + fmtHours(r.hours_from_now) + ")"; } } }
        }
      }
    };
    if (timelineChart) timelineChart.destroy();
    timelineChart = new Chart(document.getElementById("timeline"), config);
    fill("timeline-table", rows.map(function (r) {
      return el("tr", { "data-workspace": r.owner + "/" + r.name, "data-stops-at": r.stops_at || "", "data-hours": String(r.hours_from_now) },
        el("td", {}, r.owner), el("td", {}, r.name), el("td", {}, r.template), el("td", { "class": "stops-at" }, r.stops_at_local || "never"),
        el("td", { "class": "owner-time", title: r.owner_zone || "owner's zone unknown" }, r.stops_at_owner_local || "—"),
        el("td", {}, fmtHours(r.hours_from_now)), el("td", {}, r.cause || "manual"), el("td", {}, r.excluded || ""));
    }));
    document.getElementById("later-summary").textContent = "Later or only manually (" + s.later.length + ")";
    fill("later-table", s.later.map(function (r) {
      return el("tr", { "data-workspace": r.owner + "/" + r.name }, el("td", {}, r.owner), el("td", {}, r.name), el("td", {}, r.template), el("td", {}, r.stops_at_local || "never (manual)"), el("td", {}, r.cause || "manual"));
    }));
  }

  function renderCompliance(s) {
    var c = s.compliance.summary;
    var cards = [["expired", "Expired", "bad"], ["expiring_soon", "Expiring soon", "warn"], ["running", "Running", ""], ["stops_only_manually", "No deadline", "warn"], ["stopped", "Stopped", ""], ["transitional", "In transition", ""]];
    var box = document.getElementById("compliance-cards");
    box.replaceChildren.apply(box, cards.map(function (k) {
      return el("div", { "class": "card " + (c[k[0]] > 0 ? k[2] : ""), "data-status": k[0] }, el("div", { "class": "n" }, c[k[0]]), el("div", { "class": "l" }, k[1]));
    }));
    fill("compliance-table", s.compliance.attention.map(function (w) {
      return el("tr", { "data-workspace": w.owner + "/" + w.name }, el("td", {}, w.owner + "/" + w.name), el("td", {}, w.template), el("td", {}, w.status),
        el("td", {}, w.stops_at ? localTime(w.stops_at, s.zone, true) : "—"), el("td", {}, w.time_remaining));
    }));
  }

  function renderRuns(s) {
    fill("runs-table", s.runs.map(function (r) {
      var sum = r.summary || {};
      return el("tr", { "data-run": r.run_id }, el("td", {}, localTime(r.started_at, s.zone, true, true)), el("td", {}, r.command), el("td", {}, r.mode), el("td", {}, r.planned),
        el("td", {}, sum.succeeded == null ? "—" : sum.succeeded), el("td", {}, sum.skipped == null ? "—" : sum.skipped), el("td", {}, sum.failed == null ? "—" : sum.failed),
        el("td", {}, r.status), el("td", {}, r.run_id));
    }));
    if (s.runs.length === 0) fill("runs-table", [el("tr", {}, el("td", { colspan: "9" }, "No runs in the journal yet."))]);
  }

  function renderSavings(s) {
    var sv = s.savings;
    document.getElementById("savings-total").textContent = "(since " + localTime(sv.since, s.zone, false, true) + ": " + sv.totals.hours.toFixed(1) + " workspace-hours, " + sv.currency + " " + sv.totals.cost.toFixed(2) + ")";
    var config = {
      type: "bar",
      data: {
        labels: sv.by_week.map(function (w) { return w.key; }),
        datasets: [
          { label: "workspace-hours saved", data: sv.by_week.map(function (w) { return w.hours; }), backgroundColor: "#3b7dd8", yAxisID: "y" },
          { label: "cost saved (" + sv.currency + ")", data: sv.by_week.map(function (w) { return w.cost; }), backgroundColor: "#27ae60", yAxisID: "y1" }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, position: "left", title: { display: true, text: "hours" } }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: sv.currency } } }
      }
    };
    if (savingsChart) savingsChart.destroy();
    savingsChart = new Chart(document.getElementById("savings"), config);
  }

  function render(body) {
    var s = body.snapshot;
    snapshot = s;
    renderTimeline(s);
    renderCompliance(s);
    renderRuns(s);
    renderSavings(s);
    var st = body.status;
    var when = "evaluated at " + localTime(s.now, s.zone, true) + (s.now_fixed ? " (fixed --now)" : "") + ", refreshed " + localTime(s.generated_at, s.zone, false);
    setStatus(st.last_error ? "last refresh failed: " + st.last_error + " — showing " + when : when, !!st.last_error);
    document.body.setAttribute("data-loaded", "true");
  }

  function load() {
    return fetch("/api/snapshot", { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(render)
      .catch(function (e) { setStatus("cannot load the snapshot: " + e.message, true); });
  }

  function setupApply() {
    if (document.body.getAttribute("data-allow-apply") !== "true") return;
    document.getElementById("apply-section").hidden = false;
    var token = document.querySelector('meta[name="apply-token"]').getAttribute("content");
    document.getElementById("apply-button").addEventListener("click", function () {
      if (!window.confirm("Stop the workspaces quiet hours say are due now?")) return;
      var out = document.getElementById("apply-result");
      out.textContent = "running…";
      fetch("/api/apply/quiet-hours", { method: "POST", headers: { "Content-Type": "application/json", "X-Apply-Token": token }, body: "{}" })
        .then(function (r) { return r.json(); })
        .then(function (b) { out.textContent = b.text || b.error || JSON.stringify(b); return load(); })
        .catch(function (e) { out.textContent = "failed: " + e.message; });
    });
  }

  setupApply();
  load();
  setInterval(load, Number(document.body.getAttribute("data-refresh-seconds")) * 1000);
})();
`;
