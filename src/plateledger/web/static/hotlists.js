// Hot-list management: the agency's lists, a file import with its line-numbered report,
// an empty list, and one list's entries (add one, expire one, remove one). Every change
// goes through the API, which decides it by role and logs it with its audit entry.
import { ApiError, api, describe, token } from "/static/api.js";
import { el, localTime, utcTime } from "/static/format.js";

const listsBody = document.querySelector("#lists tbody");
const noLists = document.getElementById("no-lists");
const pageError = document.getElementById("page-error");
const pageStatus = document.getElementById("page-status");
const importForm = document.getElementById("import-form");
const importError = document.getElementById("import-error");
const report = document.getElementById("import-report");
const createForm = document.getElementById("create-form");
const entryForm = document.getElementById("entry-form");
const entriesPanel = document.getElementById("entries-panel");
const entriesBody = document.querySelector("#entries tbody");
const entriesStatus = document.getElementById("entries-status");
let lists = [];
let chosen = null; // the list whose entries are shown

function showError(node, text) {
  node.textContent = text;
  node.hidden = !text;
}

function words(value) {
  return String(value ?? "").replaceAll("_", " ");
}

function say(text) {
  pageStatus.textContent = text;
}

/** Mark the named fields of `form` invalid (the others valid); focus the first. */
function markInvalid(form, names) {
  for (const field of form.querySelectorAll("input, select")) {
    if (field.name) field.setAttribute("aria-invalid", String(names.includes(field.name)));
  }
  if (names.length) form.elements[names[0]].focus();
}

// -- lists ----------------------------------------------------------------------------

function listRow(list) {
  const remove = el("button", { type: "button", class: "secondary small" }, "Delete");
  remove.addEventListener("click", () => confirmThen(remove, "Confirm delete", async () => {
    await api(`/v1/hotlists/${list.id}`, { method: "DELETE" });
    if (chosen?.id === list.id) closeEntries();
    say(`List “${list.name}” deleted.`);
    await loadLists();
  }));
  const open = el("button", { type: "button", class: "small" }, "Entries");
  open.addEventListener("click", () => openList(list.id));
  const screened = list.screened_class !== list.category
    ? el("div", { class: "warn" }, `screened as ${words(list.screened_class)}`) : null;
  return el("tr", { "data-list": list.id, class: chosen?.id === list.id ? "chosen" : null },
    el("th", { scope: "row" }, list.name,
      el("div", { class: "hint" }, `${list.source} · ${words(list.file_type)}`)),
    el("td", {}, words(list.category), screened,
      list.flags.length ? el("div", { class: "warn" }, `flags: ${list.flags.join(", ")}`) : null),
    el("td", { class: "num" }, list.entry_count),
    el("td", {}, el("time", { datetime: list.updated_at, title: utcTime(list.updated_at) },
      localTime(list.updated_at))),
    el("td", { class: "nowrap" }, open, remove));
}

/** A destructive button asks once more, in place: a second activation does it. */
function confirmThen(button, label, act) {
  if (button.dataset.armed !== "true") {
    const before = { text: button.textContent, aria: button.getAttribute("aria-label") };
    button.dataset.armed = "true";
    button.textContent = label;
    button.setAttribute("aria-label", `${label}: press again to ${before.aria ?? before.text}`);
    button.classList.add("danger");
    setTimeout(() => {
      button.dataset.armed = "false";
      button.textContent = before.text;
      if (before.aria) button.setAttribute("aria-label", before.aria);
      else button.removeAttribute("aria-label");
      button.classList.remove("danger");
    }, 6000);
    return;
  }
  button.disabled = true;
  act().catch((error) => {
    button.disabled = false;
    showError(pageError, describe(error));
  });
}

async function loadLists() {
  lists = await api("/v1/hotlists");
  listsBody.replaceChildren(...lists.map(listRow));
  noLists.hidden = lists.length > 0;
  document.body.dataset.lists = "loaded";
  if (chosen) {
    const still = lists.find((l) => l.id === chosen.id);
    if (still) showFacts(still);
  }
}

// -- import ---------------------------------------------------------------------------

async function upload(form) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${token()}` };
  let response;
  try {
    response = await fetch("/v1/hotlists/import", {
      method: "POST", headers, body: form, cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "the server could not be reached; check the connection");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body?.error ?? {};
    throw new ApiError(response.status, error.code ?? "http_error",
      error.message ?? `the server answered ${response.status}`, error.details ?? null);
  }
  return body;
}

function lineOf(field) {
  const match = /^line (\d+)$/.exec(String(field ?? ""));
  return match ? Number(match[1]) : null;
}

function showReport(summary, errors) {
  document.getElementById("import-summary").replaceChildren(...summary);
  const wrap = document.getElementById("import-errors-wrap");
  wrap.hidden = errors.length === 0;
  document.querySelector("#import-errors tbody").replaceChildren(...errors.map((e) =>
    el("tr", { "data-line": e.line }, el("td", { class: "num" }, e.line), el("td", {}, e.message))));
  report.hidden = false;
  report.focus({ preventScroll: true });
  report.scrollIntoView({ block: "nearest" });
}

importForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  showError(importError, "");
  const f = importForm;
  const missing = [];
  if (!f.file.files.length) missing.push("file");
  if (!f.name.value.trim()) missing.push("name");
  if (!f.category.value) missing.push("category");
  markInvalid(f, missing);
  if (missing.length) {
    const named = { file: "choose a file", name: "name the list", category: "choose a category" };
    showError(importError, `To import, ${missing.map((m) => named[m]).join(", ")}.`);
    return;
  }
  const data = new FormData();
  data.set("file", f.file.files[0]);
  for (const name of ["name", "category", "source", "description", "format", "file_type",
    "replace", "on_error"]) {
    data.set(name, f.elements[name].value.trim());
  }
  const button = document.getElementById("imp-submit");
  button.disabled = true;
  say("Importing…");
  try {
    const done = await upload(data);
    say("");
    const parts = [
      el("strong", {}, `${done.imported} of ${done.rows} line${done.rows === 1 ? "" : "s"} imported`),
      ` into “${done.name}”${done.replaced ? " (its earlier entries replaced)" : ""}.`,
    ];
    if (done.already_expired) parts.push(` ${done.already_expired} had already expired.`);
    if (done.errors.length) {
      parts.push(" ", el("strong", { class: "warn" },
        `${done.errors.length} line${done.errors.length === 1 ? " was" : "s were"} left out`),
      ": see the table.");
    }
    if (done.flags.length) {
      parts.push(" ", el("strong", { class: "warn" },
        `Screening flagged: ${done.flags.join(", ")} (${done.flagged_entries} entries).`));
    }
    showReport(parts, done.errors);
    await loadLists();
    await openList(done.list_id, false);
  } catch (error) {
    say("");
    if (error instanceof ApiError && error.code === "import_refused") {
      const errors = (error.details ?? []).map((d) => ({ line: lineOf(d.field), message: d.message }));
      showReport([el("strong", { class: "warn" }, "Nothing was imported: "),
        `${errors.length} line${errors.length === 1 ? " has" : "s have"} errors.`], errors);
    } else {
      report.hidden = true;
      showError(importError, `The file was not imported: ${describe(error)}`);
    }
  } finally {
    button.disabled = false;
  }
});

importForm.file.addEventListener("change", () => {
  const file = importForm.file.files[0];
  if (file && !importForm.name.value.trim()) {
    importForm.name.value = file.name.replace(/\.[^.]+$/, "").replaceAll("_", " ");
  }
});

// -- a new empty list -----------------------------------------------------------------

createForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const errorBox = document.getElementById("create-error");
  showError(errorBox, "");
  const f = createForm;
  const name = f.name.value.trim();
  const missing = [];
  if (!name) missing.push("name");
  if (!f.category.value) missing.push("category");
  markInvalid(f, missing);
  if (missing.length) {
    showError(errorBox, `To create a list, ${missing.map((m) => (m === "name" ? "name it" : "choose a category")).join(" and ")}.`);
    return;
  }
  if (lists.some((l) => l.name === name)) {
    markInvalid(f, ["name"]);
    showError(errorBox, `A list named “${name}” exists already; choose another name.`);
    return;
  }
  try {
    const done = await api("/v1/hotlists", {
      method: "POST",
      body: { name, category: f.category.value, source: f.source.value.trim() || "local",
        file_type: f.file_type.value, entries: [], replace: false, on_error: "refuse" },
    });
    f.reset();
    say(`List “${done.name}” created.`);
    await loadLists();
    await openList(done.list_id);
  } catch (error) {
    showError(errorBox, `The list was not created: ${describe(error)}`);
  }
});

// -- entries --------------------------------------------------------------------------

function showFacts(list) {
  chosen = list;
  document.getElementById("entries-title").textContent = `Entries of “${list.name}”`;
  document.getElementById("list-facts").textContent = `${words(list.category)} · `
    + `${list.entry_count} entr${list.entry_count === 1 ? "y" : "ies"} · source ${list.source}`;
  for (const row of listsBody.rows) row.classList.toggle("chosen", row.dataset.list === String(list.id));
}

function closeEntries() {
  chosen = null;
  entriesPanel.hidden = true;
  document.getElementById("entries-hint").hidden = false;
  document.getElementById("entries-title").textContent = "Entries";
}

/** An expiry as the list was written: a date expires at the end of that day (UTC). */
function expiryText(iso) {
  const at = new Date(iso);
  if (at.getUTCHours() || at.getUTCMinutes() || at.getUTCSeconds() || at.getUTCMilliseconds()) {
    return utcTime(iso);
  }
  return `end of ${new Date(at.getTime() - 1).toISOString().slice(0, 10)} UTC`;
}

function expiry(entry) {
  if (!entry.expires_at) return el("span", { class: "hint" }, "never");
  const expired = Date.parse(entry.expires_at) <= Date.now();
  return el("span", { class: expired ? "expired" : null, title: localTime(entry.expires_at) },
    expired ? `expired ${utcTime(entry.expires_at)}` : expiryText(entry.expires_at));
}

function entryRow(entry) {
  const active = !entry.expires_at || Date.parse(entry.expires_at) > Date.now();
  const expire = el("button", { type: "button", class: "secondary small",
    "aria-label": `Expire ${entry.plate} now` }, "Expire");
  expire.hidden = !active;
  expire.addEventListener("click", () => confirmThen(expire, "Confirm expiry", async () => {
    await api(`/v1/hotlists/${entry.list_id}/entries/${entry.id}/expire`, { method: "POST", body: {} });
    say(`${entry.plate} no longer matches.`);
    await openList(entry.list_id, false);
  }));
  const remove = el("button", { type: "button", class: "secondary small",
    "aria-label": `Remove ${entry.plate}` }, "Remove");
  remove.addEventListener("click", () => confirmThen(remove, "Confirm remove", async () => {
    await api(`/v1/hotlists/${entry.list_id}/entries/${entry.id}`, { method: "DELETE" });
    say(`${entry.plate} removed from the list.`);
    await loadLists();
    await openList(entry.list_id, false);
  }));
  return el("tr", { "data-entry": entry.id, class: active ? null : "inactive" },
    el("td", { class: "plate" }, entry.plate),
    el("td", {}, entry.region),
    el("td", { class: "nowrap" }, entry.case_number),
    el("td", {}, entry.reason),
    el("td", {}, expiry(entry)),
    el("td", { class: "num" }, entry.priority),
    el("td", { class: "nowrap" }, expire, remove));
}

async function openList(id, focus = true) {
  const list = lists.find((l) => l.id === id);
  if (!list) return;
  showFacts(list);
  document.getElementById("entries-hint").hidden = true;
  entriesPanel.hidden = false;
  entriesStatus.textContent = "Loading…";
  try {
    const entries = await api(`/v1/hotlists/${id}/entries`);
    entriesBody.replaceChildren(...entries.map(entryRow));
    const active = entries.filter((e) => !e.expires_at || Date.parse(e.expires_at) > Date.now());
    entriesStatus.textContent = `${entries.length} entr${entries.length === 1 ? "y" : "ies"}, `
      + `${active.length} active.`;
  } catch (error) {
    entriesBody.replaceChildren();
    entriesStatus.textContent = "";
    showError(pageError, `The entries could not be loaded: ${describe(error)}`);
  }
  if (focus) document.getElementById("entries-title").focus();
}

entryForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const errorBox = document.getElementById("entry-error");
  showError(errorBox, "");
  const f = entryForm;
  const priority = Number(f.priority.value || 0);
  const missing = [];
  if (!f.plate.value.trim()) missing.push("plate");
  if (!Number.isInteger(priority) || priority < 0 || priority > 9) missing.push("priority");
  markInvalid(f, missing);
  if (missing.length) {
    showError(errorBox, missing.map((m) => (m === "plate" ? "Enter a plate." : "The priority is a whole number from 0 to 9.")).join(" "));
    return;
  }
  try {
    const added = await api(`/v1/hotlists/${chosen.id}/entries`, {
      method: "POST",
      body: { plate: f.plate.value.trim(), region: f.region.value.trim(),
        case_number: f.case_number.value.trim(), reason: f.reason.value.trim(),
        expires: f.expires.value, priority },
    });
    f.reset();
    say(`${added.plate} added to “${chosen.name}”.`);
    await loadLists();
    await openList(chosen.id, false);
    f.plate.focus();
  } catch (error) {
    const field = error instanceof ApiError && error.code === "invalid_entry" ? "plate" : null;
    if (field) markInvalid(f, [field]);
    showError(errorBox, `The plate was not added: ${describe(error)}`);
  }
});

async function start() {
  if (!token()) {
    document.getElementById("need-login").hidden = false;
    return;
  }
  await loadLists();
}

start().catch((error) => {
  showError(pageError, `The lists could not be loaded: ${describe(error)}`);
});
