// The dashboard page: Preact components (written with htm, no build step) fed by the server's event
// stream; uPlot draws the charts. Plain browser JavaScript, served as built by build-static.ts.
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "htm/preact";
import uPlot from "uplot";

const COLORS = ["blue", "green"];
const STROKE = { blue: "#2f6fd6", green: "#2e9d57", limit: "#c0392b" };

const fmt = (v, unit, digits = 1) => (v === null || v === undefined || !Number.isFinite(v) ? "-" : `${v.toFixed(digits)}${unit}`);
const time = (iso) => (iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) + "Z" : "-");
const maxOf = (xs) => xs.reduce((m, v) => (v !== null && (m === null || v > m) ? v : m), null);

function useClock(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

function WeightsBar({ stack }) {
  const t = stack.traffic ?? { blue: 0, green: 0 };
  const label = stack.traffic ? `blue ${t.blue}% · green ${t.green}%` : "not deployed";
  return html`<div class="card">
    <h2>Traffic</h2>
    <div class="bar" data-testid="weights" data-blue=${t.blue} data-green=${t.green} title=${label}>
      ${COLORS.filter((c) => t[c] > 0).map((c) => html`<div class=${c} style=${`width:${t[c]}%`}>${c} ${t[c]}%</div>`)}
    </div>
    <div class="peak" data-testid="weights-text">${label}</div>
  </div>`;
}

function ColorCard({ c }) {
  const ready = c.instances.filter((i) => i.ready).length;
  return html`<div class=${`card color-${c.color}`} data-testid=${`color-${c.color}`}>
    <h2>${c.color} <span class="badge">${c.version ?? "no release"}</span>${c.rollbackTarget ? html`<span class="badge target">rollback target</span>` : null}</h2>
    <div>weight ${c.weight}% · ${c.instances.length ? `${ready} of ${c.instances.length} instances ready` : "no instances"}</div>
    <ul>
      ${c.instances.map((i) => html`<li class=${i.ready ? "ready" : "notready"}>${i.id}: ${i.detail}</li>`)}
    </ul>
  </div>`;
}

function Rollout({ stack, now }) {
  const r = stack.rollout;
  if (!r) return html`<div class="card"><h2>Rollout</h2>none yet</div>`;
  const left = r.remainingMs !== undefined && !["completed", "rolled-back", "aborted", "failed"].includes(r.phase) ? Math.max(0, r.remainingMs - (now - Date.parse(r.updatedAt))) : undefined;
  const fig = (f) => (f ? `${f.color} ${f.version}: ${f.requests} requests, error rate ${fmt(f.errorRatePercent, "%", 2)}, p95 ${fmt(f.p95LatencyMs, " ms")}` : "-");
  return html`<div class="card" data-testid="rollout">
    <h2>Rollout ${r.version} on ${r.canary} <span class="badge">${r.live ? "running" : "not running"}</span></h2>
    <table>
      <tr><th>phase</th><td data-testid="phase">${r.phase}${r.pausedReason ? ` (${r.pausedReason})` : ""}</td></tr>
      <tr><th>step</th><td>${r.stepIndex + 1} of ${r.steps.length} (${r.steps.join(" → ")}%)</td></tr>
      <tr><th>time left</th><td>${left === undefined ? "-" : `${Math.ceil(left / 1000)} s`}</td></tr>
      <tr><th>canary</th><td>${fig(r.figures?.canary)}</td></tr>
      <tr><th>baseline</th><td>${fig(r.figures?.baseline)}</td></tr>
      <tr><th>verdict</th><td>${r.figures ? `${r.figures.verdict} at ${time(r.figures.at)}` : "-"}</td></tr>
      ${r.result ? html`<tr><th>result</th><td>${r.result}</td></tr>` : null}
    </table>
  </div>`;
}

/** One uPlot chart; `lines` are [label, color, values]. */
function Chart({ title, unit, t, lines, testid }) {
  const el = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const opts = {
      width: Math.max(260, (el.current?.clientWidth ?? 300) - 4),
      height: 180,
      scales: { x: { time: true } },
      axes: [{}, { values: (_u, vals) => vals.map((v) => `${v}${unit}`) }],
      series: [{}, ...lines.map(([label, stroke]) => ({ label, stroke, width: 2, spanGaps: false, ...(label === "limit" ? { dash: [6, 4] } : {}) }))],
    };
    plot.current = new uPlot(opts, [t, ...lines.map((l) => l[2])], el.current);
    return () => plot.current?.destroy();
    // The series layout is fixed per chart; data changes go through setData below.
  }, [lines.length]);
  useEffect(() => {
    plot.current?.setData([t, ...lines.map((l) => l[2])]);
  });
  const peaks = lines.filter(([label]) => label !== "limit").map(([label, , v]) => [label, maxOf(v)]);
  return html`<div class="card">
    <h2>${title}</h2>
    <div ref=${el}></div>
    <div class="peak" data-testid=${testid} ...${Object.fromEntries(peaks.map(([l, v]) => [`data-${l}`, v === null ? "" : String(v)]))}>
      peak in view: ${peaks.map(([l, v]) => `${l} ${fmt(v, unit, 2)}`).join(", ")}
    </div>
  </div>`;
}

function Charts({ metrics, stack }) {
  if (!metrics) return html`<div class="card">waiting for metrics...</div>`;
  if (metrics.error) return html`<div class="card problems">metrics: ${metrics.error}</div>`;
  const t = metrics.colors.blue.t;
  const lim = metrics.limits;
  const baseline = stack.stable?.color;
  const p95Limit = baseline ? metrics.colors[baseline].p95Ms.map((v) => (v === null ? null : v * (1 + lim.maxLatencyIncreasePercent / 100))) : t.map(() => null);
  const line = (key) => COLORS.map((c) => [c, STROKE[c], metrics.colors[c][key]]);
  return html`<div class="charts">
    <${Chart} title="Requests per second" unit="/s" t=${t} lines=${line("rps")} testid="peak-rps" />
    <${Chart} title="Error rate" unit="%" t=${t} lines=${[...line("errorRatePercent"), ["limit", STROKE.limit, t.map(() => lim.maxErrorRatePercent)]]} testid="peak-error" />
    <${Chart} title=${`p95 latency (limit: baseline ${baseline ?? "-"} + ${lim.maxLatencyIncreasePercent}%)`} unit=" ms" t=${t} lines=${[...line("p95Ms"), ["limit", STROKE.limit, p95Limit]]} testid="peak-p95" />
  </div>`;
}

function Gates({ gates }) {
  const entries = Object.entries(gates ?? {});
  return html`<div class="card" data-testid="gates">
    <h2>Last gate verdicts</h2>
    ${entries.length ? entries.map(([c, text]) => html`<div><strong>${c}</strong><pre>${text}</pre></div>`) : "none"}
  </div>`;
}

function describeEvent(e) {
  switch (e.type) {
    case "started": return `${e.version} on ${e.canary}, steps ${e.steps.join(", ")}; stable ${e.stable.color} ${e.stable.version}`;
    case "step-applied": return `step ${e.step} of ${e.of}: blue ${e.traffic.blue}% / green ${e.traffic.green}% (up ${(e.upMs / 1000).toFixed(1)} s)`;
    case "paused": return `${e.reason}: ${e.detail}`;
    case "analysis": return `${e.verdict}${e.triggers?.length ? `: ${e.triggers.map((t) => t.message).join("; ")}` : ""}`;
    case "promoted": return `by ${e.by}, next ${e.next}`;
    case "aborted": return `by ${e.by}: ${e.reason}`;
    case "rolled-back": return `to ${e.to.color} ${e.to.version}: ${e.reason}`;
    case "completed": return `${e.canary} is stable`;
    default: return e.reason ?? e.detail ?? "";
  }
}

function History({ stack, onOpen }) {
  const events = [...stack.history].reverse().filter((e) => e.type !== "analysis" || e.verdict !== "pass");
  const pmFor = (e) => stack.postmortems.find((p) => e.rolloutId && p.id.endsWith(e.rolloutId.slice(0, 8)));
  return html`<div class="card" data-testid="history">
    <h2>History ${stack.lock ? html`<span class="badge">locked by ${stack.lock.holder} (${stack.lock.kind}) since ${time(stack.lock.since)}: ${stack.lock.message}</span>` : null}</h2>
    <table>
      <tr><th>time</th><th>event</th><th>release</th><th>detail</th></tr>
      ${events.slice(0, 60).map((e) => {
        const pm = e.type === "rolled-back" ? pmFor(e) : undefined;
        return html`<tr class=${e.type === "rolled-back" || e.type === "aborted" ? "bad" : ""} data-type=${e.type}>
          <td>${time(e.at)}</td><td>${e.type}</td><td>${e.version}</td>
          <td>${describeEvent(e)} ${pm ? html`<a href="#" data-testid="postmortem-link" onClick=${(ev) => { ev.preventDefault(); onOpen(pm.id); }}>postmortem</a>` : null}</td>
        </tr>`;
      })}
    </table>
  </div>`;
}

function Actions({ stack, onResult }) {
  const run = async (action) => {
    const cmd = action === "rollback" ? `npm run rollback -- --env ${stack.name} --take-over` : `npm run rollout -- ${action} --env ${stack.name}`;
    if (!window.confirm(`Run ${cmd}?`)) return;
    const res = await fetch("api/actions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ stack: stack.name, action }) });
    const body = await res.json();
    onResult(`${body.command ?? action}: exit ${body.code ?? res.status}\n${body.stdout ?? ""}${body.stderr ?? body.error ?? ""}`);
  };
  return html`<div class="card actions" data-testid="actions">
    <h2>Actions</h2>
    ${["pause", "resume", "promote", "abort"].map((a) => html`<button data-action=${a} onClick=${() => run(a)}>${a}</button>`)}
    <button class="danger" data-action="rollback" onClick=${() => run("rollback")}>rollback</button>
  </div>`;
}

function App() {
  const [state, setState] = useState(null);
  const [metrics, setMetrics] = useState(null);
  const [selected, setSelected] = useState(new URLSearchParams(location.search).get("stack"));
  const [connected, setConnected] = useState(false);
  const [postmortem, setPostmortem] = useState(null);
  const [result, setResult] = useState("");
  const now = useClock();

  useEffect(() => {
    setMetrics(null);
    const es = new EventSource(`api/events${selected ? `?stack=${encodeURIComponent(selected)}` : ""}`);
    es.addEventListener("state", (m) => setState(JSON.parse(m.data)));
    es.addEventListener("metrics", (m) => setMetrics(JSON.parse(m.data)));
    es.onopen = () => setConnected(true);
    es.onerror = () => setConnected(false);
    return () => es.close();
  }, [selected]);

  const choose = (name) => {
    history.replaceState(null, "", `?stack=${encodeURIComponent(name)}`);
    setPostmortem(null);
    setSelected(name);
  };
  const open = async (id) => {
    const res = await fetch(`api/postmortem?stack=${encodeURIComponent(selected)}&id=${encodeURIComponent(id)}`);
    setPostmortem({ id, text: await res.text() });
  };

  if (!state) return html`<header><h1>deployment-runbook</h1></header><p>connecting...</p>`;
  const stack = state.stacks.find((s) => s.name === selected);
  return html`<header>
      <h1>deployment-runbook</h1>
      <span>${state.stacks.length} stacks</span>
      <span class="conn" data-testid="connection">${connected ? "live" : "reconnecting..."} · ${state.actions ? "actions allowed" : "read-only"}</span>
    </header>
    <main>
      <nav>
        ${state.stacks.map((s) => html`<button class=${s.name === selected ? "selected" : ""} data-stack=${s.name} onClick=${() => choose(s.name)}>${s.name} <span class="badge">${s.target}</span></button>`)}
      </nav>
      ${stack
        ? html`<section class="stack" data-testid="stack" data-name=${stack.name}>
            <div><strong>${stack.name}</strong> · target ${stack.target} · ${stack.url ?? ""} ${stack.stable ? `· stable ${stack.stable.color} ${stack.stable.version}` : ""}</div>
            ${stack.problems.length ? html`<div class="problems">${stack.problems.join("; ")}</div>` : null}
            <${WeightsBar} stack=${stack} />
            <div class="colors">${stack.colors.map((c) => html`<${ColorCard} c=${c} />`)}</div>
            <${Rollout} stack=${stack} now=${now} />
            <${Charts} metrics=${metrics} stack=${stack} />
            ${state.actions ? html`<${Actions} stack=${stack} onResult=${setResult} />` : null}
            ${result ? html`<pre class="card" data-testid="action-result">${result}</pre>` : null}
            <${Gates} gates=${stack.gates} />
            <${History} stack=${stack} onOpen=${open} />
            ${postmortem ? html`<div class="postmortem" data-testid="postmortem"><h2>Postmortem ${postmortem.id}</h2><pre>${postmortem.text}</pre></div>` : null}
            ${stack.postmortems.length
              ? html`<div class="card"><h2>Postmortems</h2><ul>${stack.postmortems.map((p) => html`<li><a href="#" onClick=${(ev) => { ev.preventDefault(); open(p.id); }}>${p.title}</a></li>`)}</ul></div>`
              : null}
          </section>`
        : html`<section class="stack">choose a stack</section>`}
    </main>`;
}

// Preact renders beside what is already there: the placeholder goes first.
const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
