// The agent desktop (TEL-1, TEL-2, CUS-4, CB-4): softphone bar, screen pop,
// callbacks and voicemail with click to dial.
//   The state comes from GET /api/telephony/agent (the snapshot); every
//   telephony event for this user on /ws/events/ fetches it again, and so does
//   every reconnect, so a reload or a network drop loses nothing.
//   The screen pop of a call is kept in sessionStorage under its call id.
//   With the `sip` driver, an agent logged in on a browser softphone hears
//   and speaks through this page (WebRTC; see "browser audio" below).

import { clock, el, fmt, request as sharedRequest } from "./live.js";

const root = document.getElementById("desk");
const T = JSON.parse(document.getElementById("desk-strings").textContent);
const URLS = JSON.parse(document.getElementById("desk-urls").textContent);
const USER_ID = Number(root.dataset.userId);
const CSRF = root.dataset.csrf;
const LIST_REFRESH_MS = 30000;
const POP_KEY = "hotline.desk.pop.";
const DRIVER = root.dataset.telephonyDriver;

const $ = (id) => document.getElementById(id);
let snapshot = null;
let lastCallId = null; // the call the pop belongs to, kept during after-call work
let liveCallId = null;

// --- helpers -----------------------------------------------------------------

function when(iso) {
  return iso ? new Date(iso).toLocaleString(document.documentElement.lang || undefined) : "";
}

function showError(message) {
  const box = $("desk-error");
  box.textContent = message || "";
  box.hidden = !message;
}

function request(method, url, body) {
  return sharedRequest(method, url, body, { csrf: CSRF, failedText: T.request_failed });
}

// A POST to the agent API answers the new snapshot.
async function command(path, body) {
  try {
    const data = await request("POST", URLS.api + path, body);
    showError("");
    if (data && "agent" in data) apply(data);
    else await refresh();
  } catch (error) {
    showError(error.message);
    await refresh();
  }
}

async function refresh() {
  try {
    apply(await request("GET", URLS.agent));
  } catch (error) {
    showError(error.message);
  }
}

// --- softphone bar -----------------------------------------------------------

function options(select, items, selected, blank) {
  const current = selected ?? select.value;
  select.replaceChildren(
    ...(blank ? [el("option", { value: "" }, blank)] : []),
    ...items.map((item) => el("option", { value: item.code }, item.name)),
  );
  if (current) select.value = current;
}

function enable(action, on, label) {
  for (const button of root.querySelectorAll(`[data-action="${action}"]`)) {
    button.disabled = !on;
    if (label) button.textContent = label;
  }
}

function apply(data) {
  snapshot = data;
  snapshot.fetchedAt = Date.now();
  const { agent, call } = data;
  const state = agent ? agent.state : "logged_out";
  const badge = $("agent-state");
  badge.textContent = agent ? T[state] || state : T.no_agent;
  badge.dataset.state = state;
  $("agent-number").textContent = agent ? `${agent.name} · ${agent.number}${agent.extension ? " · " + agent.extension : ""}` : "";

  const loggedOut = !agent || state === "logged_out";
  audioFollow(loggedOut || agent.extension_kind !== "webrtc" ? null : agent.extension);
  $("login-form").hidden = !agent || !loggedOut;
  $("agent-controls").hidden = loggedOut;
  if (agent && loggedOut) {
    const box = $("login-queues");
    const checked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
    const fresh = box.children.length === 1;
    box.replaceChildren(
      box.firstElementChild,
      ...data.queues.map((q) =>
        el("label", { class: "check check-inline" },
          el("input", { type: "checkbox", name: "queue", value: q.code, checked: fresh || checked.has(q.code) }),
          ` ${q.name}`),
      ),
    );
  }
  options($("desk-reason"), data.reasons, agent?.reason || null);
  enable("ready", state === "not_ready" || state === "after_call");
  enable("not_ready", state === "ready" || state === "not_ready");

  const callState = call?.state || "";
  const ringing = state === "ringing" || callState === "ringing" || callState === "dialing";
  const live = callState === "connected" || callState === "on_hold";
  $("call-controls").hidden = !call;
  $("transfer-controls").hidden = !live;
  enable("answer", state === "ringing" && call?.direction !== "outbound");
  enable("hangup", Boolean(call), ringing && call?.direction !== "outbound" ? T.decline : T.hangup);
  enable("hold", live && !call?.consult, callState === "on_hold" ? T.unhold : T.hold);
  enable("mute", live, call?.muted ? T.unmute : T.mute);
  const consult = call?.consult;
  enable("transfer", live && !consult);
  enable("consult", live && !consult);
  enable("consult_complete", Boolean(consult));
  enable("conference", Boolean(consult) && consult.state === "connected" && !call.conference);
  enable("consult_cancel", Boolean(consult));
  $("dial-submit").textContent = live ? T.send_tones : T.dial;
  $("dial-submit").disabled = loggedOut || state === "after_call" || (Boolean(call) && !live);
  for (const button of $("pop-body").querySelectorAll('[data-action="decline"]')) {
    button.hidden = state !== "ringing";
  }

  const order = $("new-order");
  if (call) {
    const params = new URLSearchParams({ call: call.call_id });
    const pop = loadPop(call.call_id);
    const customerId = pop ? pop.customers?.[pop.selected || 0]?.id : call.customer_id;
    if (customerId) params.set("customer", customerId);
    order.href = `${URLS.order_new}?${params}`;
  }

  $("call-info").replaceChildren(...(call ? callInfo(call) : []));

  const wrap = $("wrapup-form");
  const acw = data.after_call;
  wrap.hidden = !acw;
  if (acw) {
    if (wrap.dataset.callId !== String(acw.call_id)) {
      wrap.dataset.callId = acw.call_id;
      options($("desk-wrapup-code"), data.wrapup_codes, acw.wrapup_code, "—");
      $("desk-wrapup-note").value = acw.wrapup_note || "";
    }
  } else {
    delete wrap.dataset.callId;
  }

  if (call) {
    showPop(call);
  } else if (lastCallId !== null && !acw) {
    hidePop();
  }
  const callId = call ? call.call_id : null;
  if (liveCallId !== null && callId !== liveCallId) {
    loadLists();
  }
  liveCallId = callId;
  lastCallId = call ? call.call_id : acw ? lastCallId : null;
  orderPanelFollow(call ? call.call_id : acw ? acw.call_id : null);
  tick();
}

function callInfo(call) {
  const parts = [
    el("strong", {}, call.direction === "outbound" ? T.outbound : T.inbound),
    " ",
    el("span", { class: "nowrap" }, call.direction === "outbound" ? call.called : call.caller),
  ];
  if (call.queue) parts.push(" · ", `${T.queue} ${call.queue}`);
  if (call.state === "on_hold") parts.push(" ", el("span", { class: "badge" }, T.on_hold));
  if (call.muted) parts.push(" ", el("span", { class: "badge" }, T.muted));
  if (call.recording) parts.push(" ", el("span", { class: "badge badge-danger" }, T.recording));
  if (call.conference) parts.push(" ", el("span", { class: "badge badge-accent" }, T.conference));
  if (call.consult) {
    const state = call.consult.state === "connected" ? T.consult_connected : T.consult_ringing;
    parts.push(" ", el("span", { class: "badge badge-accent" }, fmt(T.consulting, { to: call.consult.to, state })));
  }
  if (call.blacklisted) parts.push(" ", el("span", { class: "badge badge-danger" }, T.blacklisted));
  return parts;
}

// Server time is taken as the browser's: the difference is the same for
// both ends of a timer, so only drift since the snapshot matters.
function tick() {
  if (!snapshot) return;
  const agent = snapshot.agent;
  $("agent-timer").textContent = agent?.since && agent.state !== "logged_out"
    ? clock((Date.now() - Date.parse(agent.since)) / 1000)
    : "";
  const until = snapshot.after_call?.until;
  $("acw-countdown").textContent = until
    ? fmt(T.ends_in, { time: clock((Date.parse(until) - Date.now()) / 1000) })
    : "";
}

root.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-action]") : null;
  if (!button || button.disabled) return;
  const action = button.dataset.action;
  const call = snapshot?.call;
  const to = $("desk-transfer-to").value.trim();
  switch (action) {
    case "ready":
      return command("agent/state", { state: "ready", reason: "" });
    case "not_ready":
      return command("agent/state", { state: "not_ready", reason: $("desk-reason").value });
    case "logout":
      return command("agent/logout");
    case "answer":
      return command("agent/answer");
    case "hangup":
      return command("agent/hangup");
    case "hold":
      return command(call?.state === "on_hold" ? "agent/unhold" : "agent/hold");
    case "mute":
      return command("agent/mute", { on: !call?.muted });
    case "transfer":
      return to ? command("agent/transfer", { to }) : $("desk-transfer-to").focus();
    case "consult":
      return to ? command("agent/consult", { to }) : $("desk-transfer-to").focus();
    case "consult_complete":
      return command("agent/consult/complete");
    case "consult_cancel":
      return command("agent/consult/cancel");
    case "conference":
      return command("agent/conference");
    case "dial":
      return command("agent/dial", { number: button.dataset.number });
    case "decline":
      return command("agent/hangup");
    case "pick": {
      const pop = loadPop(call?.call_id ?? lastCallId);
      if (pop) {
        pop.selected = Number(button.dataset.index);
        savePop(pop);
        renderPop(pop);
        if (snapshot) apply(snapshot);
      }
      return undefined;
    }
    default:
      return undefined;
  }
});

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const queues = [...$("login-queues").querySelectorAll("input:checked")].map((i) => i.value);
  command("agent/login", {
    extension: $("desk-extension").value.trim(),
    queues: queues.length ? queues : null,
    ready: true,
  });
});

$("wrapup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  command("agent/wrapup", {
    code: $("desk-wrapup-code").value,
    note: $("desk-wrapup-note").value,
    ready: true,
  });
});

function onCall() {
  const state = snapshot?.call?.state;
  return state === "connected" || state === "on_hold";
}

$("dial-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("desk-dial");
  const value = input.value.trim();
  if (!value) return;
  if (onCall()) {
    command("agent/dtmf", { digits: value });
  } else {
    command("agent/dial", { number: value });
  }
  input.value = "";
});

$("dial-form").addEventListener("click", (event) => {
  const key = event.target instanceof Element ? event.target.closest("[data-key]") : null;
  if (!key) return;
  if (onCall()) {
    command("agent/dtmf", { digits: key.dataset.key });
  } else {
    $("desk-dial").value += key.dataset.key;
  }
});

// --- screen pop --------------------------------------------------------------

function loadPop(callId) {
  if (callId === null || callId === undefined) return null;
  try {
    return JSON.parse(sessionStorage.getItem(POP_KEY + callId));
  } catch {
    return null;
  }
}

function savePop(pop) {
  try {
    sessionStorage.setItem(POP_KEY + pop.call_id, JSON.stringify(pop));
  } catch {
    // storage full or disabled: the pop still shows, it is just not kept
  }
}

const popLoading = new Set();

// Time from "ringing" (the event's arrival) to the pop painted, per call:
// the browser test reads it (target ≤ 300 ms).
window.hotlinePopTimings = window.hotlinePopTimings || {};
const ringingAt = new Map();

function popPainted(callId) {
  const started = ringingAt.get(callId);
  if (started === undefined) return;
  ringingAt.delete(callId);
  requestAnimationFrame(() => {
    window.hotlinePopTimings[callId] = performance.now() - started;
  });
}

async function showPop(call, { fromEvent = false } = {}) {
  const stored = loadPop(call.call_id);
  if (stored) {
    if ($("screen-pop").dataset.callId !== String(call.call_id)) renderPop(stored);
    return;
  }
  if (popLoading.has(call.call_id)) return;
  popLoading.add(call.call_id);
  const outbound = call.direction === "outbound";
  const params = new URLSearchParams({
    number: outbound ? call.called : call.caller,
    dialled: outbound ? "" : call.called || "",
  });
  try {
    const pop = await request("GET", `${URLS.screen_pop}?${params}`);
    pop.call_id = call.call_id;
    pop.selected = Math.max(0, pop.customers.findIndex((c) => c.id === call.customer_id));
    savePop(pop);
    if (fromEvent || snapshot?.call?.call_id === call.call_id || lastCallId === call.call_id) {
      renderPop(pop);
      if (snapshot) apply(snapshot);
    }
  } catch (error) {
    showError(error.message);
  } finally {
    popLoading.delete(call.call_id);
  }
}

function hidePop() {
  const box = $("screen-pop");
  if (box.dataset.callId) {
    try {
      sessionStorage.removeItem(POP_KEY + box.dataset.callId);
    } catch {
      // nothing kept, nothing to forget
    }
  }
  box.hidden = true;
  delete box.dataset.callId;
  $("pop-body").replaceChildren();
}

function dl(rows) {
  return el("dl", { class: "details" },
    rows.filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
}

function renderPop(pop) {
  const box = $("screen-pop");
  box.hidden = false;
  box.dataset.callId = pop.call_id;
  popPainted(pop.call_id);
  const number = pop.number;
  const head = el("p", { class: "pop-number" },
    el("strong", { class: "nowrap" }, number.national || number.raw || T.unknown_number),
    number.valid ? ` · ${[number.location, number.carrier].filter(Boolean).join(" ")}` : ` · ${T.invalid_number}`,
    pop.dialled ? el("span", { class: "muted small" }, " · ", fmt(T.dialled, { number: pop.dialled.national || pop.dialled.raw })) : null,
  );
  const parts = [head];
  if (pop.blacklist?.listed) {
    const ringing = snapshot?.call?.call_id === pop.call_id && snapshot?.agent?.state === "ringing";
    parts.push(el("div", { class: "message message-error pop-blacklist", role: "alert" },
      el("strong", {}, T.blacklisted), " ",
      pop.blacklist.reason || "", " ",
      pop.blacklist.reports ? `(${fmt(T.blacklist_reports, { count: pop.blacklist.reports })})` : "",
      pop.blacklist.refused_now ? ` ${T.refused_now}` : "",
      ringing ? el("button", { type: "button", class: "button button-danger button-small", dataset: { action: "decline" } }, T.decline) : null,
    ));
  }
  if (!pop.customers.length) {
    parts.push(el("p", { class: "muted" }, T.no_customer));
    const prefill = pop.new_customer || {};
    const params = new URLSearchParams();
    if (prefill.phones?.length) params.set("phone", prefill.phones[0]);
    if (prefill.province) params.set("province", prefill.province);
    if (prefill.city) params.set("city", prefill.city);
    parts.push(el("a", { class: "button button-primary", href: `${URLS.customer_new}?${params}`, target: "_blank" }, T.new_customer));
  } else {
    const selected = Math.min(pop.selected || 0, pop.customers.length - 1);
    if (pop.customers.length > 1) {
      parts.push(el("div", { class: "inline-controls pop-matches", role: "group" },
        pop.customers.map((c, index) => el("button", {
          type: "button",
          class: `button button-small${index === selected ? " button-primary" : " button-ghost"}`,
          "aria-pressed": index === selected ? "true" : "false",
          dataset: { action: "pick", index },
        }, c.name))));
    }
    if (pop.more_customers) parts.push(el("p", { class: "muted small" }, T.more_customers));
    parts.push(customerCard(pop.customers[selected]));
  }
  $("pop-body").replaceChildren(...parts);
}

function customerCard(c) {
  const value = c.value || {};
  const rows = [
    [T.level, c.level ? c.level.name : ""],
    [T.owner, c.owner],
    [T.tags, (c.tags || []).join(", ")],
    [T.points, c.points],
    [T.purchases, value.purchase_count],
    [T.total_spend, value.total_spend],
    [T.last_purchase, when(value.last_purchase_at)],
    [T.segment, value.segment_display],
    ...(c.fields || []).map((f) => [f.label, f.value === null || f.value === undefined ? "" : String(f.value)]),
  ];
  const links = [...(c.companies || []), ...(c.contacts || [])];
  if (links.length) rows.push([c.companies?.length ? T.companies : T.contacts, links.map((l) => l.name).join(", ")]);
  const history = c.history || [];
  return el("article", { class: "pop-customer" },
    el("h3", {}, el("a", { href: c.url, target: "_blank" }, c.name), " ",
      el("span", { class: "muted small" }, c.kind_display),
      c.low_credit ? el("span", { class: "badge badge-danger", title: c.credit_note || "" }, T.low_credit) : null),
    dl(rows),
    el("h4", {}, T.history),
    history.length
      ? el("ul", { class: "link-list pop-history" }, history.map((h) => el("li", {},
        el("span", { class: "muted small nowrap" }, when(h.at)), " ",
        h.url ? el("a", { href: h.url, target: "_blank" }, h.title) : h.title,
        h.detail ? el("span", { class: "muted" }, ` — ${h.detail}`) : null)))
      : el("p", { class: "muted" }, T.no_history),
    el("a", { class: "button button-small", href: c.url, target: "_blank" }, T.open_customer),
  );
}

// --- callbacks and voicemail -------------------------------------------------

function dialButton(number) {
  return el("button", { type: "button", class: "button button-small", dataset: { action: "dial", number } }, T.dial);
}

async function loadLists() {
  try {
    const callbacks = await request("GET", URLS.callbacks);
    $("callbacks-list").replaceChildren(...(callbacks.length
      ? callbacks.map((cb) => el("tr", { dataset: { callbackId: cb.id } },
        el("td", { class: "nowrap" }, cb.number, cb.overdue ? el("span", { class: "badge badge-danger" }, T.overdue) : null),
        el("td", { class: "small" }, when(cb.due_at), el("br"), el("span", { class: "muted" }, cb.kind_display, cb.note ? ` · ${cb.note}` : "")),
        el("td", {}, dialButton(cb.number))))
      : [el("tr", {}, el("td", { class: "empty" }, T.no_callbacks))]));
  } catch (error) {
    $("callbacks-list").replaceChildren(el("tr", {}, el("td", { class: "muted" }, error.message)));
  }
  try {
    const voicemails = await request("GET", `${URLS.voicemails}?limit=20`);
    $("voicemail-list").replaceChildren(...(voicemails.length
      ? voicemails.map((vm) => el("tr", { dataset: { voicemailId: vm.id } },
        el("td", { class: "nowrap" }, vm.caller, vm.heard_at ? null : el("span", { class: "badge badge-accent" }, T.unheard)),
        el("td", { class: "small" }, when(vm.created_at),
          vm.audio_url ? [el("br"), el("audio", { controls: true, preload: "none", src: vm.audio_url, "aria-label": T.listen })] : null),
        el("td", {}, dialButton(vm.caller))))
      : [el("tr", {}, el("td", { class: "empty" }, T.no_voicemail))]));
  } catch (error) {
    $("voicemail-list").replaceChildren(el("tr", {}, el("td", { class: "muted" }, error.message)));
  }
}

// --- browser audio -----------------------------------------------------------
// With the `sip` driver the desktop is the phone of a "webrtc" extension: one
// peer connection (no ICE servers) made when the agent is logged in, kept for
// every call, made again after a reload or a failure, closed on logout. An
// agent at a SIP phone gets none; should the server still refuse the offer
// (422, on "extension": not a browser softphone), the page stays quiet.

const AUDIO_RETRY_MS = [2000, 5000, 10000, 30000];
const ICE_GATHERING_MS = 5000;
const DISCONNECTED_GRACE_MS = 3000;
const audio = { extension: null, pc: null, stream: null, retry: null, grace: null, attempts: 0 };

const AUDIO_BADGES = { connected: "badge-success", connecting: "", failed: "badge-danger" };

function audioStatus(text, kind = "failed") {
  const box = $("desk-audio-status");
  box.hidden = !text;
  box.textContent = text || "";
  box.className = `badge ${AUDIO_BADGES[kind]}`.trim();
}

function audioFollow(extension) {
  if (DRIVER !== "sip") return;
  const wanted = extension || null;
  if (wanted === audio.extension) return;
  audioStop();
  audio.extension = wanted;
  audio.attempts = 0;
  if (wanted) audioConnect();
}

function audioDrop() {
  clearTimeout(audio.retry);
  clearTimeout(audio.grace);
  if (audio.pc) audio.pc.close();
  audio.pc = null;
  $("desk-audio").srcObject = null;
}

function audioStop() {
  audioDrop();
  if (audio.stream) for (const track of audio.stream.getTracks()) track.stop();
  audio.stream = null;
  audio.extension = null;
  audioStatus("");
}

function audioFailed(reason, retry) {
  audioDrop();
  const text = fmt(T.audio_not_connected, { reason });
  if (!retry || !audio.extension) {
    audioStatus(text);
    return;
  }
  audioStatus(`${text} · ${T.audio_retrying}`);
  const delay = AUDIO_RETRY_MS[Math.min(audio.attempts, AUDIO_RETRY_MS.length - 1)];
  audio.attempts += 1;
  audio.retry = setTimeout(audioConnect, delay);
}

// The offer is made without the microphone and the server answers first, so
// an agent on a SIP phone is never asked for it; the track joins afterwards
// (replaceTrack needs no new offer).
async function audioConnect() {
  if (!window.RTCPeerConnection) {
    audioStatus(fmt(T.audio_not_connected, { reason: T.audio_unsupported }));
    return;
  }
  audioStatus(T.audio_connecting, "connecting");
  const pc = new RTCPeerConnection({ iceServers: [] });
  audio.pc = pc;
  const { sender } = pc.addTransceiver("audio", { direction: "sendrecv" });
  pc.addEventListener("track", (event) => {
    $("desk-audio").srcObject = event.streams[0] || new MediaStream([event.track]);
  });
  pc.addEventListener("connectionstatechange", () => audioStateChanged(pc));
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    const answer = await audioOffer(pc.localDescription.sdp);
    if (audio.pc !== pc) return;
    await pc.setRemoteDescription(answer);
    const stream = await microphone();
    if (audio.pc !== pc) {
      // logged out (or reconnecting) while the browser asked for it
      if (stream !== audio.stream) for (const track of stream.getTracks()) track.stop();
      return;
    }
    audio.stream = stream;
    await sender.replaceTrack(stream.getAudioTracks()[0] || null);
  } catch (error) {
    if (audio.pc !== pc) return;
    if (error.quiet) {
      audioDrop();
      audioStatus("");
    } else {
      audioFailed(error.message, error.retry);
    }
  }
}

// Asked once and kept while logged in, so reconnecting does not ask again.
async function microphone() {
  if (audio.stream) return audio.stream;
  if (!navigator.mediaDevices?.getUserMedia) throw new Error(T.audio_unsupported);
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch {
    throw new Error(T.audio_no_microphone);
  }
}

// "disconnected" may heal by itself; the browser only calls it "failed" many
// seconds later, so a connection still down after a short grace is lost.
function audioStateChanged(pc) {
  if (audio.pc !== pc) return;
  clearTimeout(audio.grace);
  const state = pc.connectionState;
  if (state === "connected") {
    audio.attempts = 0;
    audioStatus(T.audio_connected, "connected");
  } else if (state === "failed" || state === "closed") {
    audioFailed(T.audio_lost, true);
  } else if (state === "disconnected") {
    audio.grace = setTimeout(() => {
      if (audio.pc === pc && pc.connectionState === "disconnected") audioFailed(T.audio_lost, true);
    }, DISCONNECTED_GRACE_MS);
  }
}

// The offer goes with every candidate in it (no trickle ICE), so wait for
// gathering; past the limit, send what was gathered so far.
function iceGathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, ICE_GATHERING_MS);
  });
}

// Not the shared request(): the refusal's details tell "not a browser
// softphone" (quiet) from other refusals. 403 and 422 do not get better by
// retrying; 409 (engine not running), 5xx and network failures may.
async function audioOffer(sdp) {
  let response;
  try {
    response = await fetch(URLS.webrtc, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": CSRF },
      body: JSON.stringify({ sdp, type: "offer" }),
    });
  } catch {
    throw Object.assign(new Error(T.request_failed), { retry: true });
  }
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const error = new Error(data?.error?.message || T.request_failed);
  error.quiet = response.status === 422 && Boolean(data?.error?.details?.extension);
  error.retry = response.status !== 403 && response.status !== 422;
  throw error;
}

// --- events ------------------------------------------------------------------

let socket = null;
let backoff = 1000;
let refreshTimer = null;

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 100);
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}${URLS.events}`);
  socket.addEventListener("open", () => {
    backoff = 1000;
    $("desk-offline").hidden = true;
    refresh();
  });
  socket.addEventListener("message", (event) => {
    let envelope;
    try {
      envelope = JSON.parse(event.data);
    } catch {
      return;
    }
    const type = envelope.type || "";
    if (!type.startsWith("telephony.") || type === "telephony.queue_stats") return;
    if (envelope.data?.user_id !== USER_ID) return;
    if (type === "telephony.call_offered" || type === "telephony.call_ringing") {
      const call = envelope.data;
      if (!ringingAt.has(call.call_id) && !loadPop(call.call_id)) ringingAt.set(call.call_id, performance.now());
      showPop(call, { fromEvent: true });  // the pop does not wait for the snapshot
    }
    refreshSoon();
    if (type === "telephony.call_ended") loadLists();
  });
  socket.addEventListener("close", () => {
    $("desk-offline").hidden = false;
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 30000);
  });
}

setInterval(tick, 1000);
setInterval(loadLists, LIST_REFRESH_MS);
refresh();
loadLists();
connect();

// --- the order taken in the call: a panel with the order entry page -------
// What the agent has typed is kept in sessionStorage under the call id and
// posted back into the panel after a reload (the entry page re-renders a
// posted draft without placing it).

const ORDER_KEY = "hotline.desk.order.";
let orderCallId = null;

function orderDraft(callId) {
  try {
    return JSON.parse(sessionStorage.getItem(ORDER_KEY + callId));
  } catch {
    return null;
  }
}

function orderFrameForm() {
  try {
    return $("order-frame").contentDocument?.getElementById("order-form") || null;
  } catch {
    return null;
  }
}

function orderSave() {
  const form = orderFrameForm();
  if (!form || orderCallId === null) return;
  const fields = [...new FormData(form).entries()].filter(([name]) => name !== "csrfmiddlewaretoken");
  sessionStorage.setItem(ORDER_KEY + orderCallId, JSON.stringify({ action: form.action, fields }));
}

function orderFrameLoaded() {
  const form = orderFrameForm();
  if (!form) {
    // Placed (the order page) or another page: nothing left to restore.
    let href = "";
    try {
      href = $("order-frame").contentWindow.location.href;
    } catch {
      href = "";
    }
    if (orderCallId !== null && href && href !== "about:blank") sessionStorage.removeItem(ORDER_KEY + orderCallId);
    return;
  }
  form.addEventListener("input", orderSave);
  form.addEventListener("change", orderSave);
  orderSave();
}

function orderRestore(draft) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = draft.action;
  form.target = "hotline-order";
  form.hidden = true;
  const fields = [["csrfmiddlewaretoken", $("desk").dataset.csrf], ...draft.fields];
  for (const [name, value] of fields) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
  form.remove();
}

function orderPanelFollow(callId) {
  if (callId === orderCallId) return;
  orderCallId = callId;
  const panel = $("order-panel");
  if (callId === null) {
    panel.hidden = true;
    return;
  }
  const draft = orderDraft(callId);
  if (draft) {
    panel.hidden = false;
    orderRestore(draft);
  }
}

$("order-frame").addEventListener("load", orderFrameLoaded);
$("new-order").addEventListener("click", () => {
  $("order-panel").hidden = false;
});
