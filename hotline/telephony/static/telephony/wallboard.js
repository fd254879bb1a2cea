// The supervisors' wallboard (REP-1, TEL-8): per queue the calls waiting,
// the longest wait, service level, abandon rate, calls answered today and the
// agents ready; the agents of the supervisor's scope by state; the calls in
// progress with listen / whisper / barge.
//   The initial state comes from GET /queues/stats, /agents and /live-calls;
//   then telephony.queue_stats and telephony.agent_state events on
//   /ws/events/ update it. Every reconnect fetches everything again.
//   Times (longest wait, time in state, call duration) tick in the browser.

import { clock, el, request as sharedRequest } from "./live.js";

const root = document.getElementById("wallboard");
const T = JSON.parse(document.getElementById("wallboard-strings").textContent);
const URLS = JSON.parse(document.getElementById("wallboard-urls").textContent);
const CSRF = root.dataset.csrf;
const STATE_ORDER = ["talking", "on_hold", "ringing", "after_call", "ready", "not_ready", "logged_out"];

const $ = (id) => document.getElementById(id);
const queues = new Map(); // queue_id -> stats row
const agents = new Map(); // agent_id -> agent row
let calls = [];
let controlsOn = true; // the live-call list and monitor buttons (off when the API refuses)

// --- helpers -----------------------------------------------------------------

function elapsed(iso) {
  return iso ? clock((Date.now() - Date.parse(iso)) / 1000) : "—";
}

function percent(value) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(1)}%`;
}

function message(id, text) {
  const box = $(id);
  box.textContent = text || "";
  box.hidden = !text;
}

function request(method, url, body) {
  return sharedRequest(method, url, body, { csrf: CSRF, failedText: T.request_failed });
}

// --- queues ------------------------------------------------------------------

function renderQueues() {
  const rows = [...queues.values()].sort((a, b) => a.code.localeCompare(b.code));
  if (!rows.length) {
    $("queues-body").replaceChildren(el("tr", {}, el("td", { colspan: 7, class: "empty" }, T.no_queues)));
    return;
  }
  $("queues-body").replaceChildren(...rows.map((q) => {
    const abandon = q.offered ? (100 * q.abandoned) / q.offered : null;
    return el("tr", { dataset: { queue: q.code, queueId: q.queue_id } },
      el("th", { scope: "row" }, q.name),
      el("td", { class: "num figure-waiting", dataset: { field: "waiting", alert: q.waiting ? "1" : "0" } }, q.waiting),
      el("td", { class: "num", dataset: { field: "longest_wait", since: q.oldest_waiting_since || "" } },
        q.waiting ? elapsed(q.oldest_waiting_since) : "—"),
      el("td", { class: "num", dataset: { field: "service_level" } }, percent(q.service_level_percent)),
      el("td", { class: "num", dataset: { field: "abandon_rate" } }, percent(abandon)),
      el("td", { class: "num", dataset: { field: "answered" } }, q.answered),
      el("td", { class: "num", dataset: { field: "agents" } }, `${q.agents_ready} / ${q.agents_logged_in}`),
    );
  }));
}

// --- agents ------------------------------------------------------------------

function stateRank(state) {
  const rank = STATE_ORDER.indexOf(state);
  return rank < 0 ? STATE_ORDER.length : rank;
}

function agentButtons(a) {
  const button = (state, label, on) => el("button", {
    type: "button",
    class: "button button-small",
    disabled: !on,
    dataset: { action: "agent-state", agentId: a.agent_id, state },
  }, label);
  return [
    button("ready", T.ready, a.state === "not_ready" || a.state === "after_call"),
    button("not_ready", T.not_ready, a.state === "ready" || a.state === "after_call"),
    button("logged_out", T.log_out, a.state !== "logged_out"),
  ];
}

function renderAgents() {
  const rows = [...agents.values()].sort((a, b) =>
    stateRank(a.state) - stateRank(b.state) || String(a.number).localeCompare(String(b.number)));
  const counts = {};
  for (const a of rows) counts[a.state] = (counts[a.state] || 0) + 1;
  $("agents-summary").textContent = STATE_ORDER.filter((s) => counts[s])
    .map((s) => `${T.agent_states[s] || s} ${counts[s]}`).join(" · ");
  if (!rows.length) {
    $("agents-body").replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "empty" }, T.no_agents)));
    return;
  }
  $("agents-body").replaceChildren(...rows.map((a) => el("tr", { dataset: { agentId: a.agent_id, number: a.number, state: a.state } },
    el("td", {}, a.name || "", " ", el("span", { class: "muted small" }, a.number)),
    el("td", {}, el("span", { class: "state-badge", dataset: { state: a.state } }, T.agent_states[a.state] || a.state)),
    el("td", { class: "num", dataset: { field: "in_state", since: a.since || "" } }, elapsed(a.since)),
    el("td", { class: "actions wallboard-controls" }, agentButtons(a)),
  )));
}

// --- calls in progress -------------------------------------------------------

function renderCalls() {
  const section = $("calls-body").closest("section");
  section.hidden = !controlsOn;
  if (!controlsOn) return;
  if (!calls.length) {
    $("calls-body").replaceChildren(el("tr", {}, el("td", { colspan: 6, class: "empty" }, T.no_calls)));
    return;
  }
  const monitor = (c, mode, label) => el("button", {
    type: "button",
    class: "button button-small",
    dataset: { action: "monitor", callId: c.call_id, mode },
  }, label);
  $("calls-body").replaceChildren(...calls.map((c) => {
    const agent = agents.get(c.agent_id);
    const talking = Boolean(c.agent_id);
    return el("tr", { dataset: { callId: c.call_id, state: c.state } },
      el("td", { class: "nowrap" }, c.caller),
      el("td", {}, c.queue || "—"),
      el("td", {}, agent ? agent.name : c.agent_number || "—"),
      el("td", {}, T.call_states[c.state] || c.state),
      el("td", { class: "num", dataset: { field: "duration", since: c.since || "" } }, elapsed(c.since)),
      el("td", { class: "actions wallboard-controls" }, talking
        ? [monitor(c, "listen", T.listen), monitor(c, "whisper", T.whisper), monitor(c, "barge", T.barge)]
        : null),
    );
  }));
}

// --- fetching and events -----------------------------------------------------

async function loadQueues() {
  const rows = await request("GET", URLS.stats);
  queues.clear();
  for (const q of rows) queues.set(q.queue_id, q);
  renderQueues();
}

function setAgents(rows) {
  agents.clear();
  for (const a of rows) agents.set(a.agent_id, a);
  renderAgents();
}

async function loadAgents() {
  setAgents(await request("GET", URLS.agents));
}

async function loadCalls() {
  if (!controlsOn) return;
  try {
    calls = await request("GET", URLS.live_calls);
  } catch (error) {
    if (error.status === 404) controlsOn = false;
    else throw error;
  }
  renderCalls();
}

async function refresh() {
  try {
    await Promise.all([loadQueues(), loadAgents()]);
    await loadCalls();
    message("wallboard-error", "");
  } catch (error) {
    message("wallboard-error", error.message);
  }
}

let callsTimer = null;

function callsSoon() {
  clearTimeout(callsTimer);
  callsTimer = setTimeout(() => loadCalls().catch((error) => message("wallboard-error", error.message)), 200);
}

function onEvent(envelope) {
  const data = envelope.data || {};
  if (envelope.type === "telephony.queue_stats") {
    queues.set(data.queue_id, { ...(queues.get(data.queue_id) || {}), ...data });
    renderQueues();
    callsSoon();
  } else if (envelope.type === "telephony.agent_state") {
    const known = agents.get(data.agent_id);
    if (known) {
      agents.set(data.agent_id, { ...known, ...data });
      renderAgents();
    } else {
      loadAgents().catch((error) => message("wallboard-error", error.message));
    }
    callsSoon();
  } else if (envelope.type === "telephony.call_updated" || envelope.type === "telephony.call_ended") {
    callsSoon();
  }
}

let socket = null;
let backoff = 1000;

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}${URLS.events}`);
  socket.addEventListener("open", () => {
    backoff = 1000;
    $("wallboard-offline").hidden = true;
    refresh().then(() => {
      root.dataset.connected = "1"; // live: the state is fetched and events apply
    });
  });
  socket.addEventListener("message", (event) => {
    let envelope;
    try {
      envelope = JSON.parse(event.data);
    } catch {
      return;
    }
    onEvent(envelope);
  });
  socket.addEventListener("close", () => {
    delete root.dataset.connected;
    $("wallboard-offline").hidden = false;
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 30000);
  });
}

// --- supervisor controls -----------------------------------------------------

root.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-action]") : null;
  if (!button) return;
  const { action } = button.dataset;
  button.disabled = true;
  try {
    if (action === "agent-state") {
      setAgents(await request("POST", `${URLS.api}agents/${button.dataset.agentId}/state`, { state: button.dataset.state }));
      message("wallboard-error", "");
    } else if (action === "monitor") {
      calls = await request("POST", `${URLS.api}live-calls/${button.dataset.callId}/monitor`, { mode: button.dataset.mode });
      renderCalls();
      message("wallboard-error", "");
      message("wallboard-notice", T.monitor_started);
    }
  } catch (error) {
    message("wallboard-notice", "");
    message("wallboard-error", error.message);
  } finally {
    button.disabled = false;
  }
});

// --- ticking -----------------------------------------------------------------

function tick() {
  for (const cell of root.querySelectorAll("td[data-since]")) {
    const since = cell.dataset.since;
    if (cell.dataset.field === "longest_wait") {
      const row = queues.get(Number(cell.closest("tr").dataset.queueId));
      cell.textContent = row && row.waiting && since ? elapsed(since) : "—";
    } else {
      cell.textContent = since ? elapsed(since) : "—";
    }
  }
  $("wallboard-clock").textContent = new Date().toLocaleTimeString(document.documentElement.lang || undefined);
}

setInterval(tick, 1000);
tick();
connect();
