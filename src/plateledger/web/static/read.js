// One read on its own page: found by an exact search of its plate around its time (decided
// per owner and logged), then its facts, its place and, on request of the page, its images
// through the image-view route (each view decided and logged).
import { api, describe, token } from "/static/api.js";
import { el, pageData } from "/static/format.js";
import { context, facts, keepContext, showImages } from "/static/readview.js";

const readId = pageData("read-id", "");
const query = new URLSearchParams(location.search);
const plate = query.get("plate") ?? "";
const ts = query.get("ts") ?? "";
const why = document.getElementById("read-why");
const errorBox = document.getElementById("read-error");
const status = document.getElementById("read-status");

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
}

function around(iso, seconds) {
  return new Date(new Date(iso).getTime() + seconds * 1000).toISOString();
}

async function show(ctx) {
  showError("");
  if (!plate || Number.isNaN(new Date(ts).getTime())) {
    showError("This address names no plate and time: open a read from the map workspace.");
    return;
  }
  status.textContent = "Looking the read up…";
  const body = {
    kind: "exact", params: { plate, since: around(ts, -1), until: around(ts, 1), limit: 50, offset: 0 },
    purpose: ctx.purpose, reason: ctx.reason, case_number: ctx.case_number || null,
  };
  if (ctx.offense_type) body.offense_type = ctx.offense_type;
  let page;
  try {
    page = await api("/v1/searches", { method: "POST", body });
  } catch (error) {
    status.textContent = "";
    showError(describe(error));
    why.hidden = false;
    return;
  }
  const read = (page.results ?? []).find((r) => r.read_id === readId);
  if (!read) {
    status.textContent = "";
    showError(`No read ${readId} of ${plate} that you may see (audit entry ${page.audit_index ?? "—"}).`);
    return;
  }
  why.hidden = true;
  document.getElementById("read-title").textContent = `Read of ${read.plate}`;
  document.getElementById("read-facts").replaceChildren(facts(read));
  document.getElementById("read-body").hidden = false;
  status.textContent = `Found by a search logged as audit entry ${page.audit_index ?? "—"}.`;
  if (typeof read.lat === "number") {
    const map = window.L.map("read-map", { attributionControl: false }).setView([read.lat, read.lon], 15);
    window.L.circle([read.lat, read.lon], { radius: 40, color: "#b3261e" }).addTo(map);
    window.L.marker([read.lat, read.lon], { title: read.camera_id }).addTo(map);
  }
  await showImages(document.getElementById("read-images-box"), read, ctx);
  document.body.dataset.loaded = "yes";
}

why.addEventListener("submit", (event) => {
  event.preventDefault();
  const ctx = { purpose: why.purpose.value, reason: why.reason.value.trim(),
    case_number: why.case_number.value.trim() || null, offense_type: why.offense_type.value || null };
  if (!ctx.purpose || !ctx.offense_type || !ctx.reason) {
    showError("Choose a purpose and an offense type, and give a reason.");
    return;
  }
  keepContext(ctx);
  show(ctx);
});

async function loadOffenses() {
  try {
    const offenses = await api("/v1/offense-types", { auth: false });
    why.offense_type.append(...offenses.map((o) => el("option", { value: o.code }, `${o.code} — ${o.name}`)));
  } catch (error) {
    showError(`The offense list could not be loaded: ${describe(error)}`);
  }
}

loadOffenses();
if (!token()) {
  document.getElementById("need-login").hidden = false;
} else {
  const ctx = context();
  if (ctx?.purpose && ctx?.reason && ctx?.offense_type) show(ctx);
  else why.hidden = false;
}
