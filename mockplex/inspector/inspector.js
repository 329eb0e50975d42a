// The mockplex inspector: one page over the admin API (/__mockplex/). Plain ES2020, no
// framework and nothing fetched from anywhere but this server. Everything shown comes from
// the server and is written with textContent, never parsed as HTML: a request path is
// whatever a client sent.
"use strict";

const ADMIN = "/__mockplex/";
const TOKEN_HEADER = "X-Mockplex-Admin-Token";
const POLL_MS = 300;
const WORLD_REFRESH_MS = 1000;
const FIRST_READ = 500; // entries read when the page opens
const KEPT_ROWS = 2000; // rows the traffic table keeps; older ones leave it
const VIEWS = ["traffic", "cassettes", "world", "faults"];

const adminToken = new URLSearchParams(location.hash.slice(1)).get("token");

const $ = (css, root = document) => root.querySelector(css);
const $$ = (css, root = document) => Array.from(root.querySelectorAll(css));

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// -- talking to the admin API ---------------------------------------------------------

class AdminError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function admin(method, name, body) {
  const headers = {};
  if (adminToken) headers[TOKEN_HEADER] = adminToken;
  const init = { method, headers, cache: "no-store", credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(ADMIN + name, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (error) {
    data = { error: text };
  }
  if (!response.ok) {
    throw new AdminError(response.status, (data && data.error) || `${response.status} ${response.statusText}`);
  }
  return data;
}

function say(text, problem = false) {
  const line = $("#status-line");
  line.textContent = text;
  line.classList.toggle("problem", problem);
}

function explain(error) {
  if (error instanceof AdminError && error.status === 401) {
    return `${error.message}: open the page as ${location.origin}${ADMIN}#token=YOUR_ADMIN_TOKEN`;
  }
  if (error instanceof AdminError) return error.message;
  return "the server does not answer (stopped?)";
}

// -- views ------------------------------------------------------------------------------

const page = { view: "traffic" };

function show(view) {
  if (!VIEWS.includes(view)) view = "traffic";
  page.view = view;
  for (const name of VIEWS) {
    $(`#view-${name}`).hidden = name !== view;
    const link = $(`nav a[data-view="${name}"]`);
    if (name === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view === "cassettes") loadCassettes();
  if (view === "world") refreshWorld();
  if (view === "faults") refreshFaults();
}

function setUpNavigation() {
  for (const link of $$("nav a[data-view]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault(); // the fragment holds the admin token: leave it as it is
      show(link.dataset.view);
    });
  }
  const asked = location.hash.slice(1).split("&").find((part) => VIEWS.includes(part));
  show(asked || "traffic");
}

// -- live traffic -------------------------------------------------------------------------

const traffic = { lastId: 0, entries: new Map(), selected: null, opened: null, paused: false, polling: false };

function statusClass(status) {
  return `s${String(status)[0]}`;
}

function formatDuration(ms) {
  if (typeof ms !== "number") return "";
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function target(entry) {
  return entry.path + (entry.query ? `?${entry.query}` : "");
}

function entryRow(entry) {
  const source = entry.source || entry.mode;
  const row = el("tr", {
    className: `entry${entry.miss || entry.match === "miss" ? " miss" : ""}`, tabindex: "-1",
    dataset: { entryId: entry.id, status: entry.status, family: entry.family || "", source },
  },
  el("td", { className: "method" }, entry.method),
  el("td", { className: "path", title: target(entry) }, target(entry)),
  el("td", { className: `status ${statusClass(entry.status)}` }, entry.status),
  el("td", { className: "route", title: entry.route || "" }, entry.route || "—"),
  el("td", { className: "family" }, entry.family || "—"),
  el("td", { className: "source" }, el("span", {
    className: `badge ${source}${entry.miss ? " miss" : ""}`,
    title: entry.match === "fallback" ? "not in the cassette: the fixture world answered" : null,
  }, source + (entry.match === "fallback" ? " ↩" : ""))),
  el("td", { className: "caller", title: entry.caller || "" }, entry.caller || "—"),
  el("td", { className: "duration" }, formatDuration(entry.duration_ms)));
  return row;
}

function filters() {
  return {
    family: $("#filter-family").value,
    status: $("#filter-status").value,
    source: $("#filter-source").value,
    text: $("#filter-text").value.trim().toLowerCase(),
  };
}

function passes(entry, wanted) {
  if (wanted.family && (entry.family || "") !== wanted.family) return false;
  if (wanted.status && String(entry.status)[0] !== wanted.status[0]) return false;
  if (wanted.source && (entry.source || entry.mode) !== wanted.source) return false;
  if (wanted.text) {
    const words = [entry.method, target(entry), entry.route, entry.caller, entry.family, entry.source, entry.status];
    if (!words.join(" ").toLowerCase().includes(wanted.text)) return false;
  }
  return true;
}

function applyFilters() {
  const wanted = filters();
  for (const row of $$("#traffic tbody tr.entry")) {
    row.hidden = !passes(traffic.entries.get(Number(row.dataset.entryId)), wanted);
  }
  refreshTabStop();
}

function visibleRows() {
  return $$("#traffic tbody tr.entry").filter((row) => !row.hidden);
}

// One row at a time takes Tab (a roving tab stop): the selected one, else the newest shown.
function refreshTabStop() {
  const rows = visibleRows();
  const stop = traffic.selected && !traffic.selected.hidden ? traffic.selected : rows[0];
  for (const row of $$("#traffic tbody tr.entry")) row.tabIndex = row === stop ? 0 : -1;
  $("#traffic-empty").hidden = traffic.entries.size > 0;
}

function select(row, focus) {
  if (traffic.selected) {
    traffic.selected.classList.remove("selected");
    traffic.selected.removeAttribute("aria-selected");
  }
  traffic.selected = row;
  row.classList.add("selected");
  row.setAttribute("aria-selected", "true");
  refreshTabStop();
  if (focus) {
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }
}

function move(step) {
  const rows = visibleRows();
  if (!rows.length) return;
  const at = rows.indexOf(traffic.selected);
  const next = at === -1 ? rows[0] : rows[Math.min(rows.length - 1, Math.max(0, at + step))];
  select(next, true);
}

function addEntries(entries) {
  const body = $("#traffic tbody");
  const wanted = filters();
  for (const entry of entries) {
    traffic.entries.set(entry.id, entry);
    const row = entryRow(entry);
    row.hidden = !passes(entry, wanted);
    body.prepend(row);
    knowFamily(entry.family);
  }
  while (body.rows.length > KEPT_ROWS) {
    const oldest = body.rows[body.rows.length - 1];
    traffic.entries.delete(Number(oldest.dataset.entryId));
    if (oldest === traffic.selected) traffic.selected = null;
    oldest.remove();
  }
  refreshTabStop();
}

function knowFamily(family) {
  for (const select of [$("#filter-family"), $("#fault-family")]) {
    if (family && !$$("option", select).some((option) => option.value === family)) {
      select.append(el("option", { value: family }, family));
    }
  }
}

function forgetEntries() {
  traffic.entries.clear();
  traffic.selected = null;
  $("#traffic tbody").replaceChildren();
  refreshTabStop();
}

async function poll() {
  if (traffic.polling || traffic.paused) return;
  traffic.polling = true;
  try {
    const limit = traffic.lastId ? KEPT_ROWS : FIRST_READ;
    const journal = await admin("GET", `journal?after=${traffic.lastId}&limit=${limit}`);
    if (journal.last_id < traffic.lastId) { // a new server on the same port: start over
      traffic.lastId = 0;
      forgetEntries();
      return;
    }
    if (journal.requests.length) addEntries(journal.requests);
    traffic.lastId = Math.max(traffic.lastId, journal.last_id || 0);
    say(`live · ${traffic.entries.size} exchange(s) shown`);
  } catch (error) {
    say(explain(error), true);
  } finally {
    traffic.polling = false;
  }
}

// -- the detail pane -----------------------------------------------------------------

function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (error) {
    return null;
  }
}

function headerTable(id, headers) {
  if (!headers || !headers.length) return el("p", { id, className: "note" }, "(none)");
  return el("table", { id, className: "headers" },
    el("tbody", {}, headers.map(([name, value]) => el("tr", {}, el("td", {}, name), el("td", {}, value)))));
}

function headerValue(headers, wanted) {
  const found = (headers || []).find(([name]) => name.toLowerCase() === wanted);
  return found ? found[1] : "";
}

function requestBody(entry) {
  if (!("body" in entry)) return el("p", { id: "detail-request-body", className: "note" }, "(not JSON: not kept)");
  if (entry.body === null) return el("p", { id: "detail-request-body", className: "note" }, "(no body, or over 64 KiB)");
  return el("pre", { id: "detail-request-body" }, JSON.stringify(entry.body, null, 2));
}

function streamEvents(text) {
  return text.replace(/\r\n/g, "\n").split(/\n\n+/).filter((event) => event.trim());
}

function eventText(event) {
  const data = event.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart());
  const pretty = data.length ? prettyJson(data.join("\n")) : null;
  if (pretty === null) return event;
  const others = event.split("\n").filter((line) => !line.startsWith("data:"));
  return [...others, pretty].join("\n");
}

function responseBody(entry) {
  const streamed = headerValue(entry.response_headers, "content-type").includes("text/event-stream");
  const text = entry.response_body;
  if (text === null || text === undefined) {
    const why = streamed || headerValue(entry.response_headers, "transfer-encoding")
      ? "(a streamed answer the journal did not keep: over 64 KiB, or passed on from upstream as it came)"
      : "(no body kept: empty, or over 64 KiB)";
    return [el("p", { id: "detail-response-body", className: "note" }, why)];
  }
  if (streamed) {
    const events = streamEvents(text);
    return [
      el("p", { className: "note" }, `${events.length} event(s), in the order sent:`),
      el("ol", { id: "detail-events" }, events.map((event) => el("li", {}, el("pre", {}, eventText(event))))),
      el("details", {}, el("summary", {}, "as sent"), el("pre", { id: "detail-response-body" }, text)),
    ];
  }
  return [el("pre", { id: "detail-response-body" }, prettyJson(text) ?? text)];
}

function missDiagnostic(miss) {
  const closest = miss.closest;
  return el("section", { id: "miss-diagnostic", "aria-label": "Replay miss" },
    el("h3", {}, miss.exhausted ? "Replay: every recorded answer used" : "Replay miss: not in the cassette"),
    closest
      ? el("p", {}, "Closest recorded request: ",
        el("code", {}, `${closest.method} ${closest.path}${closest.query ? `?${closest.query}` : ""}`),
        closest.status ? ` (answered ${closest.status}` : "", closest.status ? `, caller ${closest.caller})` : "")
      : el("p", {}, "No recorded request came close."),
    el("p", {}, "What differs:"),
    el("ul", {}, miss.differences.map((difference) => el("li", {}, difference))),
    miss.would_match_with ? el("p", {}, "Would match with ", el("code", {}, miss.would_match_with)) : null);
}

function openDetail(row) {
  const entry = traffic.entries.get(Number(row.dataset.entryId));
  if (!entry) return;
  select(row, false);
  traffic.opened = entry.id;
  const source = entry.source || entry.mode;
  $("#detail").replaceChildren(el("div", {},
    el("h2", {}, `${entry.method} ${target(entry)} → `, el("span", { className: statusClass(entry.status) }, entry.status)),
    el("dl", {},
      el("dt", {}, "Exchange"), el("dd", {}, `#${entry.id}${entry.at ? ` at ${entry.at}` : ""}`),
      el("dt", {}, "Route"), el("dd", {}, entry.route || "— (no route matched)"),
      el("dt", {}, "Family"), el("dd", {}, entry.family || "—"),
      el("dt", {}, "Answered by"), el("dd", {}, source + (entry.match ? ` (replay ${entry.match})` : "")),
      el("dt", {}, "Caller"), el("dd", {}, entry.caller || "— (no credential resolved)"),
      el("dt", {}, "Took"), el("dd", {}, formatDuration(entry.duration_ms))),
    entry.miss ? missDiagnostic(entry.miss) : null,
    !entry.miss && entry.match === "miss" ? el("section", { id: "miss-diagnostic", "aria-label": "Replay miss" },
      el("h3", {}, "Replay miss: not in the cassette"),
      el("p", {}, "The request body was too large to keep; the X-Mockplex-Error response header says what came closest."))
      : null,
    el("div", { className: "actions" },
      el("button", { type: "button", id: "copy-curl", "data-curl": entry.curl }, "Copy as curl"),
      el("span", { className: "note", id: "copy-note" }, "secrets stay masked: put your own credential back")),
    el("h3", {}, "Request headers"), headerTable("detail-request-headers", entry.request_headers),
    el("h3", {}, "Request body"), requestBody(entry),
    el("h3", {}, "Response headers"), headerTable("detail-response-headers", entry.response_headers),
    el("h3", {}, "Response body"), ...responseBody(entry)));
}

async function copyCurl(button) {
  const text = button.dataset.curl;
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) { // no clipboard permission: the old way, through a selection
    const area = el("textarea", { className: "visually-hidden", readonly: true }, text);
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  $("#copy-note").textContent = "copied";
}

function setUpTraffic() {
  $("#traffic-filters").addEventListener("submit", (event) => event.preventDefault());
  for (const css of ["#filter-family", "#filter-status", "#filter-source"]) {
    $(css).addEventListener("change", applyFilters);
  }
  $("#filter-text").addEventListener("input", applyFilters);
  $("#filter-text").addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      move(0);
    }
  });
  const body = $("#traffic tbody");
  body.addEventListener("click", (event) => {
    const row = event.target.closest("tr.entry");
    if (row) openDetail(row);
  });
  $("#detail").addEventListener("click", (event) => {
    if (event.target.id === "copy-curl") copyCurl(event.target);
  });
  $("#traffic-pause").addEventListener("click", (event) => {
    traffic.paused = !traffic.paused;
    event.target.setAttribute("aria-pressed", String(traffic.paused));
    event.target.textContent = traffic.paused ? "Resume" : "Pause";
    say(traffic.paused ? "paused" : "live");
  });
  $("#traffic-clear").addEventListener("click", async () => {
    try {
      await admin("DELETE", "journal");
      forgetEntries();
      $("#detail").replaceChildren(el("p", { className: "empty" }, "The journal was cleared."));
    } catch (error) {
      say(explain(error), true);
    }
  });
  document.addEventListener("keydown", onKey);
  setInterval(poll, POLL_MS);
  poll();
}

function typingIn(node) {
  return node instanceof HTMLElement && (node.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(node.tagName));
}

function onKey(event) {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const focused = document.activeElement;
  if (event.key === "/" && !typingIn(focused)) {
    event.preventDefault();
    if (page.view !== "traffic") show("traffic");
    $("#filter-text").focus();
    return;
  }
  if (page.view !== "traffic") return;
  const onRow = focused && focused.matches && focused.matches("tr.entry");
  if (!onRow && focused !== document.body && focused !== null) return; // a control has the key
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    move(event.key === "ArrowDown" ? 1 : -1);
  } else if (event.key === "Enter" && (onRow ? focused : traffic.selected)) {
    event.preventDefault();
    openDetail(onRow ? focused : traffic.selected);
  }
}

// -- cassettes ---------------------------------------------------------------------------

const cassettes = { name: null };

async function loadCassettes() {
  try {
    const listing = await admin("GET", "cassettes");
    $("#cassette-folder").textContent = `Folder: ${listing.folder}${listing.error ? ` (${listing.error})` : ""}`;
    $("#cassette-list").replaceChildren(...listing.cassettes.map((cassette) => el("li", {
      dataset: { cassette: cassette.name },
      className: `${cassette.name === cassettes.name ? "selected" : ""}${cassette.error ? " broken" : ""}`,
    }, el("button", { type: "button", title: cassette.error || cassette.upstream || "" },
      el("span", {}, cassette.name),
      el("span", { className: "muted" }, cassette.error ? "does not load" : `${cassette.interactions}`)))));
    if (!listing.cassettes.length) $("#cassette-list").append(el("li", { className: "empty" }, "No cassettes here."));
  } catch (error) {
    say(explain(error), true);
  }
}

function cassettePath(name) {
  return name.split("/").map(encodeURIComponent).join("/");
}

async function openCassette(name) {
  cassettes.name = name;
  for (const item of $$("#cassette-list li[data-cassette]")) {
    item.classList.toggle("selected", item.dataset.cassette === name);
  }
  const detail = $("#cassette-detail");
  try {
    const shown = await admin("GET", `cassettes/${cassettePath(name)}`);
    const flagged = new Set(shown.findings.map((finding) => finding.index));
    detail.replaceChildren(
      el("h2", {}, shown.name, " ", el("span", { className: "muted" }, `${shown.interactions.length} interaction(s)`)),
      el("h3", {}, "Lint"),
      el("ul", { className: "findings" }, shown.findings.length
        ? shown.findings.map((finding) => el("li", { className: `lint-finding ${finding.level}` },
          finding.index ? `interaction ${finding.index}: ` : "", finding.message))
        : el("li", { className: "lint-finding clean" }, "No findings: every answer fits the contract, no secret survived.")),
      el("div", { className: "scroller" }, el("table", { id: "interactions" },
        el("thead", {}, el("tr", {}, ["#", "Method", "Request", "Status", "Body"].map((name) => el("th", { scope: "col" }, name)))),
        el("tbody", {}, shown.interactions.map((row) => el("tr", {
          tabindex: "0", className: flagged.has(row.index) ? "flagged" : "", dataset: { index: row.index },
        },
        el("td", {}, row.index), el("td", {}, row.method), el("td", { className: "request" }, row.request),
        el("td", { className: statusClass(row.status) }, row.status),
        el("td", {}, `${row.bytes} B${row.chunks > 1 ? ` in ${row.chunks} chunks` : ""}`)))))),
      el("div", { id: "interaction-detail", "aria-live": "polite" }));
  } catch (error) {
    detail.replaceChildren(el("p", { className: "error" }, explain(error)));
  }
}

function sideDetail(title, side, firstLine) {
  let body;
  if (side.events) {
    body = el("ol", {}, side.events.map((event) => el("li", {}, el("pre", {}, eventText(event)))));
  } else if (side.body) {
    body = el("pre", {}, "json" in side ? JSON.stringify(side.json, null, 2) : side.body);
  } else {
    body = el("p", { className: "note" }, "(no body)");
  }
  return [el("h3", {}, title), el("p", { className: "mono" }, firstLine), headerTable(null, side.headers), body];
}

async function openInteraction(row) {
  for (const other of $$("#interactions tr.selected")) other.classList.remove("selected");
  row.classList.add("selected");
  const index = row.dataset.index;
  try {
    const shown = await admin("GET", `cassettes/${cassettePath(cassettes.name)}/${index}`);
    const response = shown.response;
    $("#interaction-detail").replaceChildren(
      el("h2", {}, `Interaction ${shown.index} of ${shown.of}`),
      ...sideDetail("Request", shown.request, `${shown.request.method} ${shown.request.uri}`),
      ...sideDetail("Response", response, `${response.status} ${response.message || ""}`.trim()));
  } catch (error) {
    $("#interaction-detail").replaceChildren(el("p", { className: "error" }, explain(error)));
  }
}

function setUpCassettes() {
  $("#cassette-list").addEventListener("click", (event) => {
    const item = event.target.closest("li[data-cassette]");
    if (item) openCassette(item.dataset.cassette);
  });
  const detail = $("#cassette-detail");
  detail.addEventListener("click", (event) => {
    const row = event.target.closest("#interactions tr[data-index]");
    if (row) openInteraction(row);
  });
  detail.addEventListener("keydown", (event) => {
    const row = event.target.closest("#interactions tr[data-index]");
    if (!row) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openInteraction(row);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
      if (next) next.focus();
    }
  });
}

// -- the world --------------------------------------------------------------------------

const world = { snapshot: null, openRuns: new Set(), refreshing: false };

function pill(status) {
  return el("span", { className: `status-pill ${status}` }, status);
}

function when(text) {
  return text ? text.replace("T", " ").replace("+00:00", "Z") : "—";
}

function runRow(run) {
  const events = el("details", { dataset: { runId: run.id } },
    el("summary", {}, `${run.events.length} event(s)`),
    el("ol", {}, run.events.map((event) => el("li", {}, `${event.type} · ${when(event.at)}`,
      event.message ? el("span", { className: "muted" }, ` · ${event.message}`) : null))));
  events.open = world.openRuns.has(run.id);
  events.addEventListener("toggle", () => {
    if (events.open) world.openRuns.add(run.id);
    else world.openRuns.delete(run.id);
  });
  return el("tr", { dataset: { runId: run.id, status: run.status } },
    el("td", { title: run.id }, run.id.slice(0, 8)), el("td", {}, pill(run.status),
      run.error ? el("div", { className: "muted" }, run.error) : null),
    el("td", {}, run.repo), el("td", {}, run.prompt), el("td", {}, when(run.updated_at)), el("td", {}, events));
}

function renderWorld(shown) {
  const focusedRun = document.activeElement?.closest?.("details[data-run-id]")?.dataset.runId;
  $("#clock-now").textContent = shown.clock.now;
  $("#clock-kind").textContent = `(${shown.clock.describe})`;
  $("#runs-count").textContent = shown.runs_total > shown.runs.length
    ? `(newest ${shown.runs.length} of ${shown.runs_total})` : `(${shown.runs.length})`;
  $("#runs tbody").replaceChildren(...(shown.runs.length ? shown.runs.map(runRow)
    : [el("tr", {}, el("td", { colspan: 6, className: "empty" }, "No runs yet."))]));
  $("#sandboxes tbody").replaceChildren(...shown.sandboxes.map((sandbox) => el("tr", { dataset: { sandboxId: sandbox.id } },
    el("td", { title: sandbox.id }, sandbox.sandbox_id || sandbox.id.slice(0, 8)),
    el("td", {}, pill(sandbox.status), sandbox.error ? el("div", { className: "muted" }, sandbox.error) : null),
    el("td", {}, sandbox.repo), el("td", {}, sandbox.working_branch), el("td", {}, when(sandbox.last_active_at)))));
  $("#automations tbody").replaceChildren(...shown.automations.map((automation) => el("tr", {
    dataset: { automationId: automation.id },
  }, el("td", { title: automation.id }, automation.name), el("td", {}, pill(automation.status)),
  el("td", {}, automation.job_runs.length
    ? el("ul", { className: "job-runs" }, automation.job_runs.map((job) => el("li", {}, pill(job.status),
      ` ${job.repo} · ${when(job.created_at)}`)))
    : el("span", { className: "muted" }, "none")))));
  $("#tokens tbody").replaceChildren(...shown.tokens.map((token) => el("tr", {},
    el("td", {}, token.name), el("td", {}, token.kind), el("td", {}, token.scopes.join(", ")),
    el("td", {}, token.expires_at ? when(token.expires_at) : "never"), el("td", {}, pill(token.status)))));
  $("#sessions tbody").replaceChildren(...shown.sessions.map((session) => el("tr", {},
    el("td", {}, session.user || "(no profile)"), el("td", {}, session.expires_at ? when(session.expires_at) : "never"),
    el("td", {}, pill(session.status)))));
  $(`details[data-run-id="${CSS.escape(focusedRun || "")}"] summary`)?.focus(); // a refresh keeps the focus
}

async function refreshWorld() {
  if (world.refreshing) return;
  world.refreshing = true;
  try {
    renderWorld(await admin("GET", "world"));
  } catch (error) {
    $("#world-error").textContent = explain(error);
  } finally {
    world.refreshing = false;
  }
}

async function worldAction(action) {
  $("#world-error").textContent = "";
  try {
    await action();
  } catch (error) {
    $("#world-error").textContent = explain(error);
  }
  world.refreshing = false; // the answer after an action wins over a refresh in flight
  await refreshWorld();
}

function setUpWorld() {
  $("#clock-advance").addEventListener("click", () => worldAction(async () => {
    const text = $("#clock-seconds").value.trim();
    const seconds = Number(text);
    if (!text || !Number.isFinite(seconds)) throw new AdminError(400, `${text || "nothing"} is not a number of seconds`);
    await admin("POST", "clock", { seconds });
  }));
  $("#clock-seconds").addEventListener("keydown", (event) => {
    if (event.key === "Enter") $("#clock-advance").click();
  });
  $("#world-reset").addEventListener("click", () => worldAction(() => admin("POST", "reset", {})));
  $("#snapshot").addEventListener("click", () => worldAction(async () => {
    world.snapshot = (await admin("POST", "snapshots", {})).snapshot;
    $("#restore").disabled = false;
    $("#snapshot-id").textContent = `last snapshot: ${world.snapshot}`;
  }));
  $("#restore").addEventListener("click", () => worldAction(async () => {
    if (world.snapshot) await admin("POST", "restore", { snapshot: world.snapshot });
  }));
  setInterval(() => {
    if (page.view === "world") refreshWorld();
    if (page.view === "faults") refreshFaults();
  }, WORLD_REFRESH_MS);
}

// -- faults ------------------------------------------------------------------------------

function describeFault(fault) {
  const where = ["family", "route", "path"].filter((name) => fault[name]).map((name) => `${name}=${fault[name]}`);
  const how = {
    error: `${fault.status}${fault.code ? ` ${fault.code}` : ""}${fault.retry_after !== null ? ` retry-after ${fault.retry_after}` : ""}`,
    latency: `${fault.latency_ms} ms ± ${fault.jitter_ms}`,
    trickle: `${fault.chunk_bytes} B every ${fault.chunk_delay_ms} ms`,
  }[fault.kind] || "";
  const when = [fault.probability < 1 ? `p=${fault.probability}` : "", fault.count !== null ? `${fault.count} left` : "",
    `fired ${fault.fired}`].filter(Boolean);
  return `${fault.id}: ${fault.kind} ${how} · ${where.length ? where.join(" ") : "every route"} · ${when.join(", ")}`;
}

async function refreshFaults() {
  try {
    const { faults } = await admin("GET", "faults");
    const list = $("#fault-list");
    const focused = document.activeElement?.closest?.("li[data-fault-id]")?.dataset.faultId;
    list.replaceChildren(...faults.map((fault) => el("li", { dataset: { faultId: fault.id } },
      el("span", {}, describeFault(fault)),
      el("button", { type: "button", className: "remove-fault", "aria-label": `Remove ${fault.id}` }, "Remove"))));
    $(`li[data-fault-id="${CSS.escape(focused || "")}"] button`, list)?.focus(); // a refresh keeps the focus
    $("#faults-empty").hidden = faults.length > 0;
  } catch (error) {
    $("#fault-error").textContent = explain(error);
  }
}

function faultRule(form) {
  const rule = {};
  for (const field of form.elements) {
    if (!field.name) continue;
    const value = field.value.trim();
    if (value) rule[field.name] = value; // numbers go as text: the API reads them as --fault does
  }
  return rule;
}

function setUpFaults() {
  const form = $("#fault-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("#fault-error").textContent = "";
    try {
      await admin("POST", "faults", faultRule(form));
    } catch (error) {
      $("#fault-error").textContent = explain(error);
    }
    await refreshFaults();
  });
  $("#fault-list").addEventListener("click", async (event) => {
    const button = event.target.closest("button.remove-fault");
    if (!button) return;
    try {
      await admin("DELETE", `faults/${encodeURIComponent(button.closest("li").dataset.faultId)}`);
    } catch (error) {
      $("#fault-error").textContent = explain(error);
    }
    await refreshFaults();
  });
  $("#clear-faults").addEventListener("click", async () => {
    try {
      await admin("DELETE", "faults");
    } catch (error) {
      $("#fault-error").textContent = explain(error);
    }
    await refreshFaults();
  });
}

// -- start ---------------------------------------------------------------------------------

async function knowFamilies() {
  try {
    const config = await admin("GET", "config");
    Object.keys(config.modes || {}).forEach(knowFamily);
  } catch (error) {
    say(explain(error), true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setUpTraffic();
  setUpCassettes();
  setUpWorld();
  setUpFaults();
  setUpNavigation();
  knowFamilies();
});
