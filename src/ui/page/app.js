// liaison ui: every change re-runs the ensemble on the server and redraws the figures.
// Plain JavaScript, no build step. The controls are built from the server's description of
// the scenario (its structure and the model's parameter table): nothing here names a field.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const el = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "className") node.className = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
};

// Debounce while a slider moves; a released slider (change) runs at once.
const DEBOUNCE_MS = 150;

const state = {
  index: null,
  view: null,
  // What the page changed, exactly the request's `current` part.
  settings: { scenario: "", set: {}, remove_events: [], add_events: [] },
  runs: null,
  seed: null,
  baseline: null,
  timer: null,
  controller: null,
  requested: 0,
  pendingStart: null,
  lastTargets: {},
};

// Exposed for the browser test and for curious users: latencies in ms from the triggering
// event (a released slider, a toggled event …) to the redrawn figure.
window.liaison = { latencies: [], generation: 0, last: null, state };

function formatNumber(value) {
  if (!Number.isFinite(value)) return "";
  return String(Math.round(value * 1e6) / 1e6);
}

function stepOf(control) {
  if (control.integer) return 1;
  const span = control.slider_max - control.min;
  return span > 0 ? span / 1000 : 0.001;
}

// --- requests -------------------------------------------------------------------------

function requestBody(extra = {}) {
  return Object.assign(
    { current: state.settings, baseline: state.baseline, runs: state.runs, seed: state.seed },
    extra,
  );
}

async function getJson(url) {
  const response = await fetch(url);
  const data = await response.json();
  if (!response.ok) throw Object.assign(new Error(data.error || response.statusText), { data });
  return data;
}

function schedule(immediately) {
  if (immediately && state.pendingStart === null) state.pendingStart = performance.now();
  clearTimeout(state.timer);
  state.timer = setTimeout(runNow, immediately ? 0 : DEBOUNCE_MS);
  $("#figure").classList.add("stale");
}

async function runNow() {
  if (state.controller) state.controller.abort();
  const controller = new AbortController();
  state.controller = controller;
  const generation = ++state.requested;
  const started = state.pendingStart ?? performance.now();
  state.pendingStart = null;
  setStatus("running…", true);
  try {
    const response = await fetch("/api/run", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(requestBody()),
      signal: controller.signal,
    });
    const data = await response.json();
    if (generation !== state.requested) return;
    if (!response.ok) {
      if (response.status === 409) return; // a newer request took over
      showError(data);
      setStatus("error", false);
      $("#figure").classList.remove("stale");
      return;
    }
    clearErrors();
    render(data);
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));
    const latency = performance.now() - started;
    window.liaison.latencies.push(latency);
    setStatus(
      `${data.runs} runs · seed ${data.seed} · ensemble ${Math.round(data.ensemble_ms)} ms, server ${Math.round(data.elapsed_ms)} ms · shown in ${Math.round(latency)} ms`,
      false,
    );
  } catch (error) {
    if (error.name === "AbortError") return;
    if (generation === state.requested) {
      showError({ error: `the server did not answer: ${error.message}` });
      setStatus("error", false);
    }
  }
}

function setStatus(text, busy) {
  const status = $("#status");
  status.textContent = text;
  status.classList.toggle("busy", busy);
}

// --- errors next to their control -----------------------------------------------------

function clearErrors() {
  for (const node of document.querySelectorAll(".invalid")) node.classList.remove("invalid");
  for (const node of document.querySelectorAll("[data-key] .error, #events td.error")) node.textContent = "";
  const box = $("#general-error");
  box.hidden = true;
  box.textContent = "";
}

// The control whose key is the error's key, or the closest enclosing one (an event row).
function controlFor(key) {
  if (!key) return null;
  let best = null;
  for (const node of document.querySelectorAll("[data-key]")) {
    const k = node.dataset.key;
    if ((key === k || key.startsWith(k + ".")) && (!best || k.length > best.dataset.key.length)) best = node;
  }
  return best;
}

function showError(data) {
  clearErrors();
  const message = data.key ? `${data.key}: ${data.error}` : data.error;
  const control = controlFor(data.key);
  const slot = control && (control.querySelector(".error") || control.querySelector("td.error"));
  if (slot) {
    control.classList.add("invalid");
    slot.textContent = data.error;
    const details = control.closest("details");
    if (details) details.open = true;
  }
  const box = $("#general-error");
  box.hidden = false;
  box.textContent = slot ? `Not run: ${message}` : message;
}

// --- rendering results ----------------------------------------------------------------

function render(data) {
  window.liaison.last = data;
  const figure = $("#figure");
  figure.innerHTML = data.figure;
  figure.classList.remove("stale");
  figure.dataset.sha = data.summary_sha256;
  window.liaison.generation += 1;
  figure.dataset.generation = String(window.liaison.generation);

  const body = $("#targets tbody");
  body.replaceChildren();
  const previous = state.lastTargets;
  state.lastTargets = {};
  for (const t of data.targets) {
    state.lastTargets[t.id] = t.observed;
    const row = el(
      "tr",
      { "data-id": t.id, title: t.description, className: previous[t.id] && previous[t.id] !== t.observed ? "moved" : "" },
      el("td", { text: t.id }),
      el("td", { className: "observed", text: t.observed }),
      el("td", { text: t.condition }),
      el("td", { className: t.pass ? "pass" : "fail", text: t.pass ? "pass" : "FAIL" }),
      el("td", { className: "share", text: `${(100 * t.share_holding).toFixed(1)}%` }),
    );
    body.append(row);
  }
  $("#target-count").textContent = data.targets.length ? `${data.passed}/${data.targets.length} hold` : "none";

  const paired = $("#paired");
  paired.hidden = !data.paired;
  if (data.paired) renderPaired(data.paired);
}

function renderPaired(p) {
  $("#difference").innerHTML = p.figure;
  const zero = $("#zero-before");
  if (p.first_change) {
    const exact = p.max_abs_before === 0;
    zero.textContent =
      `First change: ${p.first_change}. Before it (${p.steps_before} steps) the largest difference of any run is ` +
      `${p.max_abs_before}` + (exact ? " — exactly zero, as common random numbers promise." : ".");
    zero.dataset.maxAbsBefore = String(p.max_abs_before);
  } else {
    zero.textContent = p.changes.length
      ? "The settings differ from the start (a value that acts from the first step changed)."
      : "Nothing differs from the pinned baseline: every difference is zero.";
    delete zero.dataset.maxAbsBefore;
  }
  const changes = $("#changes tbody");
  changes.replaceChildren();
  for (const c of p.changes) {
    changes.append(el("tr", { "data-key": c.key },
      el("td", { text: c.key }), el("td", { text: c.baseline ?? "—" }), el("td", { text: c.current ?? "—" })));
  }
  if (!p.changes.length) changes.append(el("tr", {}, el("td", { colspan: 3, text: "nothing" })));
  const deltas = $("#deltas tbody");
  deltas.replaceChildren();
  const signed = (v) => (v > 0 ? "+" : "") + v.toFixed(3);
  for (const d of p.series) {
    deltas.append(el("tr", { "data-series": d.series },
      el("td", { text: d.series }), el("td", { text: signed(d.median) }), el("td", { text: d.date }),
      el("td", { text: `${signed(d.p05)} … ${signed(d.p95)}` })));
  }
}

// --- controls ---------------------------------------------------------------------------

function setOverride(key, text, original) {
  if (text === original) delete state.settings.set[key];
  else state.settings.set[key] = text;
}

function numberControl(control) {
  const fixed = Boolean(control.fixed);
  const slider = el("input", {
    type: "range", min: control.min, max: control.slider_max, step: stepOf(control),
    value: control.value, disabled: fixed, "aria-label": control.key,
  });
  const box = el("input", {
    type: "number", min: control.min, max: control.max, step: control.integer ? 1 : "any",
    value: formatNumber(control.value), disabled: fixed, "aria-label": `${control.key} value`,
  });
  const reset = el("button", { type: "button", className: "reset", title: `reset to the scenario's ${formatNumber(control.value)}`, text: "↺", disabled: fixed });
  const hints = [];
  if (control.default !== null && control.default !== undefined) hints.push(`default ${formatNumber(control.default)}`);
  hints.push(`range ${formatNumber(control.min)}–${formatNumber(control.max)}`);
  if (control.doc) hints.push(control.doc);
  if (control.fixed) hints.push(`fixed: ${control.fixed}`);
  const node = el("div", { className: "control" + (fixed ? " fixed" : ""), "data-key": control.key },
    el("label", { title: `${control.key}\n${control.doc}`, text: control.label }), slider, box, reset,
    el("span", { className: "hint", text: hints.join(" · ") }), el("span", { className: "error" }));
  const original = formatNumber(control.value);
  const apply = (text, immediately) => {
    setOverride(control.key, text, original);
    node.classList.toggle("changed", control.key in state.settings.set);
    schedule(immediately);
  };
  slider.addEventListener("input", () => { box.value = slider.value; apply(slider.value, false); });
  slider.addEventListener("change", () => { box.value = slider.value; apply(slider.value, true); });
  box.addEventListener("change", () => {
    if (box.value.trim() === "") return;
    slider.value = box.value;
    apply(box.value.trim(), true);
  });
  reset.addEventListener("click", () => {
    slider.value = control.value;
    box.value = original;
    apply(original, true);
  });
  return node;
}

function buildGroups(view) {
  const groups = $("#groups");
  groups.replaceChildren();
  for (const group of view.groups) {
    const details = el("details", { className: "box group" },
      el("summary", {}, el("h2", { text: group.title }), " ", el("span", { className: "count", text: group.doc })));
    for (const section of group.sections) {
      if (view.groups.length > 1 && group.sections.length > 1) details.append(el("div", { className: "section-title", text: section.title }));
      for (const control of section.controls) details.append(numberControl(control));
    }
    groups.append(details);
  }
}

function publicText(value) {
  return value === true ? "true" : value === false ? "false" : "";
}

function eventRow(event, added) {
  const key = `event.${event.id}`;
  const on = el("input", { type: "checkbox", checked: true, "aria-label": `${event.id} on` });
  const date = el("input", { type: "date", value: event.date, min: state.view.start, max: state.view.end, disabled: added, "aria-label": `${event.id} date` });
  const magnitude = el("input", { type: "range", min: 0, max: 1, step: 0.05, value: event.magnitude, disabled: added, "aria-label": `${event.id} magnitude` });
  const shown = el("span", { text: Number(event.magnitude).toFixed(2) });
  const pub = el("select", { disabled: added, "aria-label": `${event.id} public` },
    el("option", { value: "", text: "drawn", disabled: event.public !== null && event.public !== undefined }),
    el("option", { value: "true", text: "public" }),
    el("option", { value: "false", text: "quiet" }));
  pub.value = publicText(event.public);
  const where = [event.kind.replace(/_/g, " "), event.channels.join("+"), event.services.join("+")].join(" · ");
  const row = el("tr", { "data-event": event.id, "data-key": key, className: added ? "added" : "", title: event.source || "" },
    el("td", {}, on),
    el("td", { className: "what" }, document.createTextNode(event.label), el("small", { text: `${event.id} · ${where}` })),
    el("td", {}, date),
    el("td", {}, magnitude, shown),
    el("td", {}, pub),
    el("td", { className: "error" }));
  const changed = () => {
    const any = Object.keys(state.settings.set).some((k) => k.startsWith(key + "."));
    row.classList.toggle("changed", any);
  };
  on.addEventListener("change", () => {
    row.classList.toggle("off", !on.checked);
    if (added) {
      state.settings.add_events = state.settings.add_events.filter((e) => e.id !== event.id);
      row.remove();
    } else {
      const list = state.settings.remove_events.filter((id) => id !== event.id);
      if (!on.checked) list.push(event.id);
      state.settings.remove_events = list;
      for (const input of [date, magnitude, pub]) input.disabled = !on.checked;
      // A removed event cannot also be changed: its overrides wait until it is back.
      for (const k of Object.keys(state.settings.set)) {
        if (k.startsWith(key + ".")) {
          if (!on.checked) { row.dataset[k.slice(key.length + 1)] = state.settings.set[k]; delete state.settings.set[k]; }
        }
      }
      if (on.checked) {
        for (const field of ["date", "magnitude", "public"]) {
          if (row.dataset[field] !== undefined) { state.settings.set[`${key}.${field}`] = row.dataset[field]; delete row.dataset[field]; }
        }
      }
    }
    schedule(true);
  });
  date.addEventListener("change", () => {
    if (!date.value) return;
    setOverride(`${key}.date`, date.value, event.date);
    changed();
    schedule(true);
  });
  magnitude.addEventListener("input", () => {
    shown.textContent = Number(magnitude.value).toFixed(2);
    setOverride(`${key}.magnitude`, magnitude.value, formatNumber(event.magnitude));
    changed();
    schedule(false);
  });
  magnitude.addEventListener("change", () => {
    setOverride(`${key}.magnitude`, magnitude.value, formatNumber(event.magnitude));
    changed();
    schedule(true);
  });
  pub.addEventListener("change", () => {
    if (pub.value === "") delete state.settings.set[`${key}.public`];
    else setOverride(`${key}.public`, pub.value, publicText(event.public));
    changed();
    schedule(true);
  });
  return row;
}

function buildEvents(view) {
  const body = $("#events tbody");
  body.replaceChildren();
  for (const event of view.events) body.append(eventRow(event, false));
  $("#event-count").textContent = `${view.events.length}`;
  const kinds = $("#add-form select[name=kind]");
  kinds.replaceChildren(...view.kinds.map((k) => el("option", { value: k, text: k.replace(/_/g, " ") })));
  const boxes = (names, field) => names.map((n) =>
    el("label", {}, el("input", { type: "checkbox", name: field, value: n.name }), ` ${n.name}`));
  $("#add-channels").replaceChildren(...boxes(view.channels, "channels"));
  $("#add-services").replaceChildren(...boxes(view.services, "services"));
  const dateInput = $("#add-form input[name=date]");
  dateInput.min = view.start;
  dateInput.max = view.end;
}

function addEvent(form) {
  const data = new FormData(form);
  const event = {
    id: String(data.get("id")).trim(),
    date: String(data.get("date")),
    kind: String(data.get("kind")),
    channels: data.getAll("channels").map(String),
    services: data.getAll("services").map(String),
    magnitude: Number(data.get("magnitude")),
    label: String(data.get("label")).trim(),
  };
  const pub = String(data.get("public"));
  if (pub !== "") event.public = pub === "true";
  const error = $("#add-error");
  if (!event.channels.length || !event.services.length) {
    error.textContent = "choose at least one channel and one service";
    return;
  }
  const taken = state.view.events.some((e) => e.id === event.id) || state.settings.add_events.some((e) => e.id === event.id);
  if (taken) {
    error.textContent = `an event with id ${event.id} exists already`;
    return;
  }
  error.textContent = "";
  state.settings.add_events.push(event);
  $("#events tbody").append(eventRow(Object.assign({ source: "added here" }, event), true));
  form.reset();
  schedule(true);
}

// --- scenario, baseline, export ---------------------------------------------------------

async function openScenario(id) {
  setStatus("loading scenario…", true);
  let view;
  try {
    view = await getJson(`/api/scenario?id=${encodeURIComponent(id)}`);
  } catch (error) {
    showError({ error: error.message, key: "scenario" });
    setStatus("error", false);
    return;
  }
  state.view = view;
  state.settings = { scenario: id, set: {}, remove_events: [], add_events: [] };
  state.runs = state.index.runs ?? view.runs;
  state.seed = state.index.seed ?? view.seed;
  $("#runs").value = state.runs;
  $("#seed").value = state.seed;
  $("#export-name").value = `${id.split("/").pop()}-tweaked`;
  state.lastTargets = {};
  buildGroups(view);
  buildEvents(view);
  clearErrors();
  schedule(true);
}

function pin() {
  state.baseline = JSON.parse(JSON.stringify(state.settings));
  $("#pin").textContent = "Re-pin as baseline";
  $("#unpin").hidden = false;
  schedule(true);
}

function unpin() {
  state.baseline = null;
  $("#pin").textContent = "Pin as baseline";
  $("#unpin").hidden = true;
  schedule(true);
}

async function exportWhatIf() {
  const error = $("#export-error");
  error.textContent = "";
  $("#export").disabled = true;
  try {
    const response = await fetch("/api/export", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(requestBody({ baseline: null, name: $("#export-name").value || null })),
    });
    const data = await response.json();
    if (!response.ok) {
      error.textContent = data.key ? `${data.key}: ${data.error}` : data.error;
      return;
    }
    $("#export-result").hidden = false;
    $("#export-path").textContent = data.what_if_path;
    $("#export-summary").textContent = data.summary_path;
    $("#export-command").textContent = data.reproduce;
    $("#export-text").textContent = data.what_if;
    const link = (selector, text, type, name) => {
      const a = $(selector);
      if (a.href.startsWith("blob:")) URL.revokeObjectURL(a.href);
      a.href = URL.createObjectURL(new Blob([text], { type }));
      a.download = name;
    };
    link("#download-toml", data.what_if, "application/toml", `${data.name}.toml`);
    link("#download-csv", data.summary_csv, "text/csv", `${data.name}.summary.csv`);
    $("#export-result").dataset.done = String(Date.now());
  } catch (e) {
    error.textContent = `the server did not answer: ${e.message}`;
  } finally {
    $("#export").disabled = false;
  }
}

async function start() {
  try {
    state.index = await getJson("/api/index");
  } catch (error) {
    setStatus(`cannot reach the server: ${error.message}`, false);
    return;
  }
  $("#out-folder").textContent = state.index.out;
  $("#runs").max = state.index.max_runs;
  const picker = $("#scenario");
  const groups = new Map();
  for (const entry of state.index.scenarios) {
    if (!groups.has(entry.group)) groups.set(entry.group, el("optgroup", { label: entry.group }));
    groups.get(entry.group).append(el("option", { value: entry.id, text: `${entry.name} (${entry.id})` }));
  }
  picker.replaceChildren(...groups.values());
  picker.value = state.index.first;
  picker.addEventListener("change", () => {
    if (state.baseline) unpin();
    openScenario(picker.value);
  });
  const number = (input, field) => input.addEventListener("change", () => {
    const value = Number(input.value);
    if (!Number.isInteger(value) || value < 0) return;
    state[field] = value;
    schedule(true);
  });
  number($("#runs"), "runs");
  number($("#seed"), "seed");
  $("#pin").addEventListener("click", pin);
  $("#unpin").addEventListener("click", unpin);
  $("#reset-all").addEventListener("click", () => openScenario(state.settings.scenario));
  $("#export").addEventListener("click", exportWhatIf);
  $("#add-form").addEventListener("submit", (e) => { e.preventDefault(); addEvent(e.target); });
  if (state.index.first) await openScenario(state.index.first);
}

start();
