// Live hot-list alerts: the agency's hits as they come (GET /v1/alerts/stream, read with
// fetch so that the token travels in a header, never in the URL), each checked and
// dispositioned by the officer (POST /v1/hits/{id}/disposition), and the recent hits.
// The stream is live only: when it drops (a server restart, a closed connection) the page
// reconnects and catches up from GET /v1/hits — the pending hits, and every hit since the
// newest one it had seen (its cursor) — so a hit that came in between shows once, and one
// dispositioned meanwhile leaves the pending cards.
import { ApiError, api, describe, forgetToken, token } from "/static/api.js";
import { el, localTime, pageData, utcTime } from "/static/format.js";

const cards = document.getElementById("alert-cards");
const empty = document.getElementById("no-alerts");
const pendingCount = document.getElementById("pending-count");
const streamStatus = document.getElementById("stream-status");
const pageError = document.getElementById("alerts-error");
const historyForm = document.getElementById("history-form");
const historyBody = document.querySelector("#history tbody");
const historyError = document.getElementById("history-error");
const historyStatus = document.getElementById("history-status");
const recorded = document.getElementById("recorded");

const DISPOSITIONS = [
  { value: "confirmed", label: "Confirmed", key: "c" },
  { value: "misread", label: "Misread", key: "m" },
  { value: "wrong_state", label: "Wrong state", key: "w" },
  { value: "dismissed", label: "Not actioned", key: "n" },
];
const LABEL = Object.fromEntries(DISPOSITIONS.map((d) => [d.value, d.label]));
const ACTIONS = [
  ["none", "No further action"], ["stop", "Stop"], ["warning", "Warning"],
  ["citation", "Citation"], ["arrest", "Arrest"], ["vehicle_recovered", "Vehicle recovered"],
  ["person_located", "Person located"],
];
const purposes = new Set(pageData("purposes-data", []).map((p) => p.value));
const lists = new Map();
const shown = new Map(); // hit id → its card
let retryDelay = 1;
let cursor = null; // the newest hit's created_at seen on this page (ISO text)
const short = new Intl.DateTimeFormat(undefined, {
  month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
});

function shortTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso ?? "") : short.format(date);
}

function showError(node, text) {
  node.textContent = text;
  node.hidden = !text;
}

function listName(id) {
  return lists.get(id)?.name ?? `list #${id}`;
}

function words(value) {
  return String(value ?? "").replaceAll("_", " ");
}

function setStream(state, text) {
  streamStatus.dataset.state = state;
  streamStatus.textContent = text;
  document.body.dataset.stream = state;
}

function updateCount() {
  pendingCount.textContent = String(shown.size);
  empty.hidden = shown.size > 0;
}

// -- cards ----------------------------------------------------------------------------

function fact(term, ...value) {
  return [el("dt", {}, term), el("dd", {}, ...value)];
}

/** What the image-view route is asked: the list's category as the purpose where it is
 * one, the hit as the reason; policy decides, and the view is logged before any byte. */
function cropQuery(hit) {
  const purpose = purposes.has(hit.category) ? hit.category
    : hit.category === "silver_alert" ? "endangered_person" : "other";
  const query = new URLSearchParams({
    plate: hit.read.plate, purpose,
    reason: `visual check of hot-list hit ${hit.hit_id} (${listName(hit.list_id)}) before acting`,
  });
  if (hit.case_number) query.set("case_number", hit.case_number);
  return query;
}

async function showCrop(card, hit) {
  const box = card.querySelector(".crop");
  const button = card.querySelector(".crop-button");
  button.disabled = true;
  box.replaceChildren(el("span", { class: "hint" }, "Loading the plate crop…"));
  try {
    const response = await fetch(
      `/v1/reads/${encodeURIComponent(hit.read.read_id)}/images/plate?${cropQuery(hit)}`,
      { headers: { Authorization: `Bearer ${token()}` }, cache: "no-store" },
    );
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      const message = body?.error?.message ?? `the server answered ${response.status}`;
      throw new Error(response.status === 404
        ? "no plate crop is kept for this read, or policy does not release it" : message);
    }
    const blob = await response.blob();
    // The page's policy allows data: images, not blob: ones.
    const url = await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(new Error("the image could not be read"));
      reader.readAsDataURL(blob);
    });
    box.replaceChildren(el("img", { src: url, alt: `Plate crop of read ${hit.read.plate}` }));
  } catch (error) {
    box.replaceChildren(el("span", { class: "crop-error" }, `Plate crop: ${error.message}`));
    button.disabled = false;
  }
}

async function dispose(card, hit, disposition) {
  const errorBox = card.querySelector(".card-error");
  const note = card.querySelector("textarea").value.trim();
  const action = card.querySelector("select").value;
  showError(errorBox, "");
  for (const button of card.querySelectorAll(".dispose button")) button.disabled = true;
  try {
    const done = await api(`/v1/hits/${encodeURIComponent(hit.hit_id)}/disposition`, {
      method: "POST", body: { disposition, action, note },
    });
    removeCard(hit.hit_id, true);
    upsertHistory(done);
    recorded.textContent = `Recorded: ${LABEL[done.disposition] ?? done.disposition} for `
      + `${done.read.plate} by ${done.disposed_by}.`;
  } catch (error) {
    showError(errorBox, `The disposition was not recorded: ${describe(error)}`);
    for (const button of card.querySelectorAll(".dispose button")) button.disabled = false;
    card.focus();
  }
}

function removeCard(hitId, moveFocus) {
  const card = shown.get(hitId);
  if (!card) return;
  const next = card.nextElementSibling ?? card.previousElementSibling;
  card.remove();
  shown.delete(hitId);
  updateCount();
  if (moveFocus) (next ?? document.getElementById("live-title")).focus();
}

function card(hit) {
  const id = `hit-${hit.hit_id}`;
  const read = hit.read;
  const textarea = el("textarea", { id: `${id}-note`, rows: 2, maxlength: 1000 });
  const action = el("select", { id: `${id}-action` },
    ACTIONS.map(([value, label]) => el("option", { value }, label)));
  const node = el("article", {
    class: `alert-card priority-${Math.min(hit.priority ?? 0, 9)}`, id, tabindex: 0,
    "data-hit": hit.hit_id, "data-plate": read.plate, "aria-labelledby": `${id}-title`,
  },
  el("header", {},
    el("h3", { id: `${id}-title` }, el("span", { class: "plate" }, read.plate),
      " ", el("span", { class: "list" }, `${listName(hit.list_id)} · ${words(hit.category)}`)),
    el("span", { class: "priority" }, `priority ${hit.priority}`)),
  el("div", { class: "card-body" },
    el("dl", { class: "facts" },
      fact("Listed", el("span", { class: "plate" }, hit.plate_listed),
        hit.region_listed ? ` (${hit.region_listed})` : "",
        hit.match_kind !== "exact" ? el("strong", { class: "warn" }, ` — ${words(hit.match_kind)} match`) : ""),
      fact("Read", `${read.plate}${read.region ? ` (${read.region})` : ""}`,
        hit.region_mismatch ? el("strong", { class: "warn" }, " — state differs") : ""),
      fact("Camera", read.camera_id),
      fact("Time", el("time", { datetime: read.ts, title: utcTime(read.ts) }, localTime(read.ts))),
      fact("Reason", hit.reason || "—"),
      fact("Case", hit.case_number || "—")),
    el("div", { class: "crop-cell" },
      el("div", { class: "crop" }, el("span", { class: "hint" }, "Each view is logged")),
      el("button", { type: "button", class: "secondary crop-button" }, "Plate crop (v)"))),
  el("div", { class: "dispose" },
    el("div", { class: "field note" }, el("label", { for: textarea.id }, "Note (e)"), textarea),
    el("div", { class: "field" }, el("label", { for: action.id }, "Action"), action),
    el("div", { class: "buttons", role: "group", "aria-label": "Disposition" },
      DISPOSITIONS.map((d) => el("button", {
        type: "button", "data-disposition": d.value, "aria-keyshortcuts": d.key,
        class: d.value === "confirmed" ? "" : "secondary",
      }, `${d.label} (${d.key})`)))),
  el("p", { class: "message error card-error", role: "alert", hidden: true }));
  node.querySelector(".crop-button").addEventListener("click", () => showCrop(node, hit));
  for (const button of node.querySelectorAll("[data-disposition]")) {
    button.addEventListener("click", () => dispose(node, hit, button.dataset.disposition));
  }
  node.hit = hit;
  return node;
}

function seen(hit) {
  if (hit.created_at && (!cursor || Date.parse(hit.created_at) > Date.parse(cursor))) cursor = hit.created_at;
}

/** Put ``node`` among ``parent``'s children newest first, by the hits' created_at. */
function insertByTime(parent, node, hit, selector) {
  const at = Date.parse(hit.created_at);
  node.dataset.created = String(at);
  const after = [...parent.querySelectorAll(selector)].find((n) => Number(n.dataset.created) < at);
  parent.insertBefore(node, after ?? null);
}

function addCard(hit, live) {
  seen(hit);
  if (hit.disposition || shown.has(hit.hit_id)) return;
  const node = card(hit);
  shown.set(hit.hit_id, node);
  insertByTime(cards, node, hit, ".alert-card");
  if (live) node.classList.add("fresh");
  updateCount();
}

// -- keyboard -------------------------------------------------------------------------

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const current = document.activeElement?.closest?.(".alert-card") ?? null;
  if (event.key === "Escape" && current && typing(event.target)) {
    current.focus();
    return;
  }
  if (typing(event.target)) return;
  const all = [...cards.querySelectorAll(".alert-card")];
  const key = event.key.toLowerCase();
  if (key === "j" || key === "k") {
    if (!all.length) return;
    const at = current ? all.indexOf(current) : -1;
    const to = key === "j" ? Math.min(at + 1, all.length - 1) : Math.max(at - 1, 0);
    all[to].focus();
    event.preventDefault();
    return;
  }
  if (!current) return;
  const chosen = DISPOSITIONS.find((d) => d.key === key);
  if (chosen) {
    event.preventDefault();
    dispose(current, current.hit, chosen.value);
  } else if (key === "e") {
    event.preventDefault();
    current.querySelector("textarea").focus();
  } else if (key === "v") {
    event.preventDefault();
    const button = current.querySelector(".crop-button");
    if (!button.disabled) showCrop(current, current.hit);
  }
});

// -- the stream -----------------------------------------------------------------------

/** Split a text/event-stream into events: {event, id, data}; comments are kept as such. */
function* events(block) {
  let name = "message";
  let id = "";
  const data = [];
  let comment = null;
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) {
      comment = line.slice(1).trim();
      continue;
    }
    const at = line.indexOf(":");
    const field = at < 0 ? line : line.slice(0, at);
    const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
    if (field === "event") name = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  if (data.length) yield { event: name, id, data: data.join("\n") };
  else if (comment !== null) yield { event: "comment", id, data: comment };
}

async function catchUp() {
  const since = cursor;
  const pending = await api("/v1/hits?pending=true&limit=200");
  for (const hit of pending) addCard(hit, false);
  if (!since) return;
  // Everything since the newest hit this page had seen, dispositioned or not.
  const missed = await api(`/v1/hits?${new URLSearchParams({ since, limit: "1000" })}`);
  for (const hit of missed) {
    seen(hit);
    if (hit.disposition) removeCard(hit.hit_id, false);
    else addCard(hit, false);
    upsertHistory(hit);
  }
}

async function listen() {
  const bearer = token();
  if (!bearer) {
    setStream("off", "Not connected: sign in to receive alerts");
    return;
  }
  setStream("connecting", "Connecting…");
  let response;
  try {
    response = await fetch("/v1/alerts/stream", {
      headers: { Authorization: `Bearer ${bearer}`, Accept: "text/event-stream" },
      cache: "no-store",
    });
  } catch {
    return reconnect("the server could not be reached");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    const message = body?.error?.message ?? `the server answered ${response.status}`;
    if (response.status === 401) {
      forgetToken();
      document.getElementById("need-login").hidden = false;
      setStream("off", "Not connected: your session ended; sign in again");
      return;
    }
    if (response.status === 403) {
      setStream("off", "Not connected");
      showError(pageError, `You may not receive alerts: ${message}`);
      return;
    }
    return reconnect(message);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      // A lone \r at the end may be half of a \r\n: keep it for the next chunk.
      const keep = buffer.endsWith("\r") ? "\r" : "";
      let text = (keep ? buffer.slice(0, -1) : buffer).replace(/\r\n?/g, "\n");
      let end = text.indexOf("\n\n");
      while (end >= 0) {
        for (const item of events(text.slice(0, end))) await handle(item);
        text = text.slice(end + 2);
        end = text.indexOf("\n\n");
      }
      buffer = text + keep;
    }
  } catch {
    // the connection dropped; reconnect below
  }
  return reconnect("the stream closed");
}

async function handle(item) {
  if (item.event === "comment" && item.data === "connected") {
    retryDelay = 1;
    // The stream is live only: what came while it was closed is read from the API.
    try {
      await catchUp();
      setStream("live", `Live since ${localTime(new Date().toISOString())}`);
      showError(pageError, "");
    } catch (error) {
      setStream("live", "Live");
      showError(pageError, `Missed alerts could not be loaded: ${describe(error)}`);
    }
    return;
  }
  if (item.event !== "alert") return;
  let hit;
  try {
    hit = JSON.parse(item.data);
  } catch {
    return;
  }
  if (!lists.has(hit.list_id)) await loadLists();
  addCard(hit, true);
  upsertHistory(hit);
}

function reconnect(why) {
  const wait = retryDelay;
  retryDelay = Math.min(retryDelay * 2, 30);
  setStream("retrying", `Disconnected (${why}); reconnecting in ${wait} s`);
  setTimeout(listen, wait * 1000);
}

// -- history --------------------------------------------------------------------------

let historyFilter = { status: "", list: "", plate: "" };

function matches(hit) {
  const f = historyFilter;
  if (f.status === "pending" && hit.disposition) return false;
  if (f.status && f.status !== "pending" && hit.disposition !== f.status) return false;
  if (f.list && String(hit.list_id) !== f.list) return false;
  const plate = f.plate.toUpperCase().replace(/[\s-]/g, "");
  if (plate && !hit.read.plate.includes(plate) && !hit.plate_listed.includes(plate)) return false;
  return true;
}

function historyRow(hit) {
  const state = hit.disposition
    ? el("span", { class: `state ${hit.disposition}` }, LABEL[hit.disposition] ?? words(hit.disposition),
      hit.action && hit.action !== "none" ? ` · ${words(hit.action)}` : "",
      hit.disposed_by ? el("span", { class: "hint" }, ` by ${hit.disposed_by}`) : "")
    : el("span", { class: "state pending" }, "Awaiting");
  return el("tr", { "data-hit": hit.hit_id, "data-created": String(Date.parse(hit.created_at)) },
    el("td", {}, el("time", { datetime: hit.read.ts, title: `${localTime(hit.read.ts)} (${utcTime(hit.read.ts)})` },
      shortTime(hit.read.ts))),
    el("td", { class: "plate" }, hit.read.plate),
    el("td", { class: "plate" }, hit.plate_listed),
    el("td", {}, listName(hit.list_id)),
    el("td", {}, hit.read.camera_id),
    el("td", {}, state),
    el("td", {}, hit.disposition_note || ""));
}

function upsertHistory(hit) {
  const old = historyBody.querySelector(`tr[data-hit="${CSS.escape(hit.hit_id)}"]`);
  if (!matches(hit)) {
    old?.remove();
    return;
  }
  const row = historyRow(hit);
  if (old) old.remove();
  insertByTime(historyBody, row, hit, "tr[data-hit]");
  countHistory();
}

function countHistory() {
  const n = historyBody.rows.length;
  historyStatus.dataset.count = String(n);
  historyStatus.textContent = n
    ? `${n} hit${n === 1 ? "" : "s"} shown, newest first.` : "No hit matches these filters.";
}

function isoOf(local) {
  if (!local) return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

async function loadHistory() {
  showError(historyError, "");
  const since = isoOf(historyForm.since.value);
  const until = isoOf(historyForm.until.value);
  const bad = [];
  for (const [name, value] of [["since", since], ["until", until]]) {
    const input = historyForm[name];
    input.setAttribute("aria-invalid", String(value === undefined));
    if (value === undefined) bad.push(name === "since" ? "the start time" : "the end time");
  }
  if (since && until && since >= until) bad.push("a start before the end");
  if (bad.length) {
    showError(historyError, `Check ${bad.join(" and ")}.`);
    return;
  }
  historyFilter = {
    status: historyForm.status.value, list: historyForm.list.value, plate: historyForm.plate.value.trim(),
  };
  const query = new URLSearchParams({ limit: "200" });
  if (since) query.set("since", since);
  if (until) query.set("until", until);
  if (historyFilter.status === "pending") query.set("pending", "true");
  historyStatus.textContent = "Loading…";
  try {
    const hits = (await api(`/v1/hits?${query}`)).filter(matches);
    historyBody.replaceChildren(...hits.map(historyRow));
    countHistory();
  } catch (error) {
    historyStatus.textContent = "";
    showError(historyError, `The hits could not be loaded: ${describe(error)}`);
  }
}

async function loadLists() {
  try {
    for (const list of await api("/v1/hotlists")) lists.set(list.id, list);
  } catch {
    return; // names fall back to list numbers
  }
  const select = historyForm.list;
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, "All lists"),
    ...[...lists.values()].map((l) => el("option", { value: String(l.id) }, l.name)));
  select.value = chosen;
}

historyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  loadHistory();
});

async function start() {
  updateCount();
  if (!token()) {
    document.getElementById("need-login").hidden = false;
    setStream("off", "Not connected: sign in to receive alerts");
    return;
  }
  await loadLists();
  loadHistory();
  listen();
}

start().catch((error) => {
  showError(pageError, error instanceof ApiError ? describe(error) : String(error));
});
