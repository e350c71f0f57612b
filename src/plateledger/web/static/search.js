// The investigator's search: build the request, run it, show reads, owners and the entry.
import { api, describe, token } from "./api.js";
import { download, toCsv, toGeoJson } from "./export.js";
import { agencyIndex, el, localTime, setBusy, utcTime } from "./format.js";

const form = document.getElementById("search-form");
const message = document.getElementById("search-message");
const progress = document.getElementById("progress");
const submit = document.getElementById("search-submit");
const results = document.getElementById("results");
const agencies = agencyIndex();
const owner = (id) => agencies.byId(id);

let lastBody = null;
let lastPage = null;

const PLATE_HINTS = {
  exact: "Letters and digits; spaces and dashes are ignored.",
  wildcard: "Use * for any run of characters and ? for exactly one, e.g. 7AB*12 or 7?BC123.",
  fuzzy: "The plate as read; likely misreads (O/0, I/1, B/8 …) are found too.",
  area: "Optional: narrow an area search to one plate.",
};

function kind() {
  return form.querySelector('input[name="kind"]:checked').value;
}

function number(name) {
  const text = form[name].value.trim();
  return text === "" ? null : Number(text);
}

function isoFromLocal(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function showMessage(text) {
  message.textContent = text;
  message.className = "message error";
  message.hidden = !text;
}

/** The request body, or a list of [field, problem] when the form is not complete. */
function buildBody() {
  const problems = [];
  const k = kind();
  const plate = form.plate.value.trim();
  if (k !== "area" && !plate) problems.push(["plate", "enter a plate or pattern"]);
  const params = { limit: Number(form.limit.value), offset: 0 };
  if (plate) params.plate = plate;
  const since = isoFromLocal(form.since.value);
  const until = isoFromLocal(form.until.value);
  if (since) params.since = since;
  if (until) params.until = until;
  if (since && until && since > until) problems.push(["until", "the end is before the start"]);
  const cameras = form.cameras.value.split(",").map((c) => c.trim()).filter(Boolean);
  if (cameras.length) params.cameras = cameras;
  const region = form.region.value.trim();
  if (region) params.region = region;
  const radius = ["lat", "lon", "meters"].map(number);
  const box = ["south", "west", "north", "east"].map(number);
  for (const [name, value] of [["lat", radius[0]], ["lon", radius[1]], ["meters", radius[2]],
    ["south", box[0]], ["west", box[1]], ["north", box[2]], ["east", box[3]]]) {
    if (value !== null && !Number.isFinite(value)) problems.push([name, "must be a number"]);
  }
  if (radius.every((v) => v !== null)) {
    params.radius = { lat: radius[0], lon: radius[1], meters: radius[2] };
  }
  if (box.every((v) => v !== null)) {
    params.bbox = { south: box[0], west: box[1], north: box[2], east: box[3] };
  }
  if (k === "area" && !params.radius && !params.bbox && !cameras.length) {
    problems.push(["lat", "an area search needs a radius, a box or cameras"]);
  }
  if (!form.purpose.value) problems.push(["purpose", "choose a purpose"]);
  if (!form.offense_type.value) problems.push(["offense_type", "choose an offense type"]);
  const reason = form.reason.value.trim();
  if (!reason) problems.push(["reason", "give the reason for this search"]);
  if (problems.length) return { problems };
  return {
    body: {
      kind: k,
      params,
      purpose: form.purpose.value,
      offense_type: form.offense_type.value,
      case_number: form.case_number.value.trim() || null,
      reason,
      requested_by: form.requested_by.value || null,
    },
  };
}

function markProblems(problems) {
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  for (const [name] of problems) form[name]?.setAttribute("aria-invalid", "true");
}

function ownerItem(outcome) {
  const name = owner(outcome.owner_id);
  const ids = outcome.policy_ids ?? [];
  if (outcome.allowed) {
    const by = ids.length ? ` (by ${ids.join(", ")})` : "";
    return el("li", { class: "allowed" }, `${name}: `, el("span", { class: "verdict" }, "searched"), by);
  }
  const by = ids.length ? ids.join(", ") : "no policy permits it (nothing is allowed by default)";
  return el("li", { class: "denied" }, `${name}: `, el("span", { class: "verdict" }, "denied"),
    " by ", el("code", {}, by));
}

// An owner a partner node answers for: that node decided, under its own policy.
function remoteItem(remote) {
  const name = `${remote.owner_id != null ? owner(remote.owner_id) : remote.agency} (node ${remote.node})`;
  const entry = remote.audit_index != null ? `; its log's entry #${remote.audit_index}` : "";
  if (remote.status === "allowed") {
    return el("li", { class: "allowed" }, `${name}: `, el("span", { class: "verdict" }, "searched"),
      ` — ${remote.returned} read${remote.returned === 1 ? "" : "s"} in this page${entry}`);
  }
  if (remote.status === "denied") {
    const ids = remote.policy_ids ?? [];
    const by = remote.code === "approval_required" ? "approval_required"
      : (ids.length ? ids.join(", ") : "no policy permits it");
    return el("li", { class: "denied" }, `${name}: `, el("span", { class: "verdict" }, "denied"),
      " by ", el("code", {}, by), entry);
  }
  return el("li", { class: "unavailable" }, `${name}: `,
    el("span", { class: "verdict" }, "unavailable"), " (", el("code", {}, remote.code ?? "no answer"),
    "): its reads are not in these results");
}

function coordinates(read) {
  if (typeof read.lat !== "number" || typeof read.lon !== "number") return "—";
  return `${read.lat.toFixed(5)}, ${read.lon.toFixed(5)}`;
}

function vehicle(read) {
  return [read.vehicle_color, read.vehicle_make, read.vehicle_model, read.vehicle_type]
    .filter(Boolean).join(" ") || "—";
}

// A read stored under another plate, found because the camera listed the searched plate
// (or, fuzzy, a plate near it) among its other readings: say so, and how sure it was.
function candidateNote(read, fuzzy) {
  if (typeof read.candidate_confidence !== "number") return null;
  const sure = `${Math.round(read.candidate_confidence * 100)}%`;
  const what = fuzzy ? "a plate near the one searched" : "the plate searched";
  return el("span", { class: "candidate-match", title: `The camera read ${read.plate}; it also ` +
    `listed ${what} as a possible reading, at ${sure}.` },
    `matched a candidate reading (${sure})`);
}

function row(read, fuzzy) {
  return el("tr", {},
    el("td", {}, el("time", { datetime: read.ts }, localTime(read.ts))),
    el("td", {}, utcTime(read.ts)),
    el("td", { class: "plate" }, read.plate, read.region ? ` (${read.region})` : "",
      candidateNote(read, fuzzy)),
    fuzzy ? el("td", { class: "num" }, read.distance ?? "—") : null,
    el("td", {}, owner(read.owner_id)),
    el("td", { class: "nowrap" }, read.camera_id),
    el("td", {}, coordinates(read)),
    el("td", {}, vehicle(read)),
    el("td", { class: "num" }, `${Math.round(read.confidence * 100)}%`),
  );
}

function render(page) {
  const fuzzy = page.kind === "fuzzy";
  const first = page.results.length ? page.offset + 1 : 0;
  const last = page.offset + page.results.length;
  const order = fuzzy ? "closest first (by distance), then newest" : "newest first";
  document.getElementById("summary").textContent = page.total === 0
    ? "No reads match in the data you may search."
    : `${page.total} read${page.total === 1 ? "" : "s"} match; showing ${first}–${last}, ${order}.`;
  const note = document.getElementById("audit-note");
  note.replaceChildren();
  if (page.audit_index !== null && page.audit_index !== undefined) {
    note.append(`This search is audit entry #${page.audit_index}. `,
      el("a", { href: `/v1/audit/proof/inclusion?index=${page.audit_index}` }, "Inclusion proof"),
      " · ",
      el("a", { href: `/audit#entry-${page.audit_index}` }, "see it in the audit log"));
  }
  if (page.candidates?.length) {
    note.append(el("br"), `Plates considered: ${page.candidates.join(", ")}`,
      page.truncated ? " (more matched than were searched: narrow the pattern)" : "");
  }
  const owners = document.getElementById("owners");
  owners.replaceChildren(...page.owners.map(ownerItem), ...(page.remote_owners ?? []).map(remoteItem));
  if (!page.owners.length && !page.remote_owners?.length) owners.append(el("li", { class: "denied" }, "No data owner was in scope."));
  document.getElementById("col-distance").hidden = !fuzzy;
  document.querySelector("#results-table tbody")
    .replaceChildren(...page.results.map((read) => row(read, fuzzy)));
  const pages = Math.max(1, Math.ceil(page.total / page.limit));
  document.getElementById("page-of").textContent =
    `Page ${Math.floor(page.offset / page.limit) + 1} of ${pages}`;
  document.getElementById("prev").disabled = page.offset === 0;
  document.getElementById("next").disabled = last >= page.total;
  for (const id of ["export-csv", "export-geojson"]) {
    document.getElementById(id).disabled = page.results.length === 0;
  }
  results.hidden = false;
}

async function run(body) {
  if (!token()) {
    document.getElementById("need-login").hidden = false;
    showMessage("Sign in first: searches need your account.");
    return;
  }
  submit.disabled = true;
  results.setAttribute("aria-busy", "true");
  setBusy(progress, "Searching — asking each data owner's policy, searching and logging…");
  try {
    const page = await api("/v1/searches", { method: "POST", body });
    lastBody = body;
    lastPage = page;
    showMessage("");
    render(page);
    setBusy(progress, "");
    progress.textContent = `Done: ${page.total} match${page.total === 1 ? "" : "es"}.`;
    document.getElementById("results-heading").focus();
  } catch (error) {
    setBusy(progress, "");
    if (error.status === 401) document.getElementById("need-login").hidden = false;
    showMessage(error.status === 503
      ? `The search was refused and nothing was returned: ${describe(error)}.`
      : `The search failed: ${describe(error)}.`);
    message.focus();
  } finally {
    submit.disabled = false;
    results.removeAttribute("aria-busy");
  }
}

function turn(step) {
  if (!lastBody || !lastPage) return;
  const limit = lastBody.params.limit;
  const offset = Math.max(0, lastPage.offset + step * limit);
  // Another page of the same search: the token has it logged as a page of that search,
  // not counted as a new one (a new search, from the form, goes without).
  run({ ...lastBody, params: { ...lastBody.params, offset },
        page_token: lastPage.page_token ?? undefined });
}

function exportName(ext) {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return `plateledger-search-${lastPage?.audit_index ?? "x"}-${stamp}.${ext}`;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const { body, problems } = buildBody();
  markProblems(problems ?? []);
  if (problems) {
    showMessage(`Please complete the form: ${problems.map(([, p]) => p).join("; ")}.`);
    form[problems[0][0]]?.focus();
    return;
  }
  run(body);
});

for (const radio of form.querySelectorAll('input[name="kind"]')) {
  radio.addEventListener("change", () => {
    document.getElementById("plate-hint").textContent = PLATE_HINTS[kind()];
  });
}
document.getElementById("prev").addEventListener("click", () => turn(-1));
document.getElementById("next").addEventListener("click", () => turn(1));
// A file of reads is an export: the server decides it as its own action (an agreement may
// allow searching but not exporting) and logs it, then the file is built here.
async function exportedReads() {
  const { page_token: _paged, ...search } = lastBody;
  const text = await api("/v1/exports", {
    method: "POST", body: { ...search, params: { ...search.params, offset: 0 },
      format: "ndjson" }, text: true,
  });
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

async function exportAs(ext, type, render) {
  if (!lastBody) return;
  try {
    const rows = await exportedReads();
    download(exportName(ext), type, render(rows));
  } catch (error) {
    showMessage(`The export failed: ${describe(error)}`);
  }
}

document.getElementById("export-csv").addEventListener("click", () => {
  exportAs("csv", "text/csv", (rows) => toCsv(rows, owner));
});
document.getElementById("export-geojson").addEventListener("click", () => {
  exportAs("geojson", "application/geo+json", (rows) => toGeoJson(rows, owner, {
    kind: lastPage?.kind ?? lastBody.kind, total: rows.length, offset: 0, limit: rows.length,
  }));
});
// The offense types: the closed NIBRS list the API serves (GET /v1/offense-types).
async function loadOffenses() {
  try {
    const offenses = await api("/v1/offense-types", { auth: false });
    form.offense_type.append(...offenses.map((o) =>
      el("option", { value: o.code }, `${o.code} — ${o.name}`)));
    form.offense_type.dataset.loaded = "true";
  } catch (error) {
    showMessage(`The list of offense types could not be loaded: ${describe(error)}`);
  }
}

loadOffenses();
message.tabIndex = -1;
document.getElementById("results-heading").tabIndex = -1;
if (!token()) document.getElementById("need-login").hidden = false;
