// The auditor page's searches: the audit export as a filtered, paged table
// (GET /v1/audit/export?format=json), and the same rows downloaded as CSV, XLSX or NDJSON.
import { api, describe, token } from "./api.js";
import { el, pageData, setBusy } from "./format.js";

const AUDIT_ROLES = ["auditor", "supervisor"];
const section = document.getElementById("searches");
const form = document.getElementById("export-filters");
const status = document.getElementById("searches-status");
const body = document.querySelector("#searches-table tbody");
const pageLabel = document.getElementById("searches-page");
const prev = document.getElementById("searches-prev");
const next = document.getElementById("searches-next");
let offset = 0;
let total = 0;

function nextDay(date) {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString();
}

/** The filters of the form as query parameters (empty ones left out). */
function filters() {
  const data = new FormData(form);
  const params = new URLSearchParams();
  for (const key of ["user", "agency", "purpose", "offense", "case", "flag", "decision", "kind"]) {
    const value = String(data.get(key) ?? "").trim();
    if (value) params.set(key, value);
  }
  const since = String(data.get("since") ?? "");
  const until = String(data.get("until") ?? "");
  if (since) params.set("since", `${since}T00:00:00Z`);
  if (until) params.set("until", nextDay(until));
  return params;
}

function pageSize() {
  return Number.parseInt(String(new FormData(form).get("limit") ?? "50"), 10) || 50;
}

function owners(row) {
  const released = row["Networks Released"].split(";").filter(Boolean);
  const refused = row["Networks Denied"].split(";").filter(Boolean);
  const list = el("ul", { class: "owners" });
  if (released.length) {
    list.append(el("li", { class: "allowed" }, el("span", { class: "verdict" },
      `released (${released.length})`), " ", el("span", { class: "hint" }, released.join(", "))));
  }
  if (refused.length) {
    list.append(el("li", { class: "denied" }, el("span", { class: "verdict" },
      `denied (${refused.length})`), " ", el("span", { class: "hint" }, refused.join(", "))));
  }
  return list;
}

function dash(value) {
  return value ? value : "—";
}

function hint(text) {
  return el("span", { class: "hint" }, text);
}

function rowOf(row) {
  const frame = `${dash(row["Time Frame Start"])} → ${dash(row["Time Frame End"])}`;
  const asked = [row.Purpose, row["Offense Type"], row["Case #"]].map(dash).join(" · ");
  const agency = `${row["Org Name"]} · ${row["Org Class"]}`
    + (row["Requested By"] !== row["Org Slug"] ? ` · for ${row["Requested By"]}` : "")
    + (row["Requester Jurisdiction"] ? ` · ${row["Requester Jurisdiction"]}` : "");
  const index = row["Leaf Index"];
  return el("tr", {},
    el("td", {}, dash(row["Search Time (Local)"]), el("br"), hint(row["Search Time (UTC)"])),
    el("td", {}, dash(row.Name), el("br"), hint(agency)),
    el("td", {}, `${row["Search Type"]} `, el("code", {}, dash(row["License Plate"])), el("br"),
      hint(frame)),
    el("td", {}, asked, el("br"), hint(dash(row.Reason)),
      row["Reason Flags"] ? [" ", el("strong", { class: "req" }, `flagged: ${row["Reason Flags"]}`)] : null,
      row["Legal Basis"] ? [el("br"), `legal basis: ${row["Legal Basis"]}`] : null),
    el("td", {}, row.Decision, owners(row)),
    el("td", { class: "num" }, dash(row["Reads Returned"]), el("br"),
      hint(row["Reads Returned Per Network"].replaceAll(";", ", ")), el("br"),
      hint(`${dash(row["Total Devices Searched"])} devices`)),
    el("td", {}, el("code", { title: row.ID }, row.ID.slice(0, 8)), el("br"),
      el("a", { href: `#entry-${index}` }, `entry ${index}`), " · ",
      el("a", { href: row["Inclusion Proof"] }, "proof")));
}

async function show(at) {
  const params = filters();
  params.set("format", "json");
  params.set("offset", String(at));
  params.set("limit", String(pageSize()));
  setBusy(status, "Loading…");
  try {
    const page = await api(`/v1/audit/export?${params}`);
    offset = page.offset;
    total = page.total;
    body.replaceChildren(...page.rows.map(rowOf));
    const last = Math.min(offset + page.rows.length, total);
    pageLabel.textContent = total
      ? `${offset + 1}–${last} of ${total}` : "no search matches these filters";
    setBusy(status, "");
  } catch (error) {
    body.replaceChildren();
    pageLabel.textContent = "";
    setBusy(status, "");
    status.textContent = `The searches could not be loaded: ${describe(error)}.`;
  }
  prev.disabled = offset <= 0;
  next.disabled = offset + pageSize() >= total;
}

async function download(format) {
  const params = filters();
  params.set("format", format);
  setBusy(status, `Preparing the ${format.toUpperCase()} file…`);
  try {
    const response = await fetch(`/v1/audit/export?${params}`, {
      headers: { Authorization: `Bearer ${token()}` }, cache: "no-store",
    });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: `audit-export.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    setBusy(status, "");
    status.textContent = `${response.headers.get("X-Exported-Count") ?? "?"} rows downloaded.`;
  } catch (error) {
    setBusy(status, "");
    status.textContent = `The file could not be made: ${describe(error)}.`;
  }
}

async function start() {
  if (!token()) return;
  let roles = [];
  try {
    roles = (await api("/v1/me")).roles;
  } catch {
    return;
  }
  if (!roles.some((role) => AUDIT_ROLES.includes(role))) return;
  const agency = document.getElementById("f-agency");
  for (const a of pageData("agencies-data", [])) {
    agency.append(el("option", { value: a.slug }, `${a.name} (${a.kind})`));
  }
  const purpose = document.getElementById("f-purpose");
  for (const p of pageData("purposes-data", [])) {
    purpose.append(el("option", { value: p.value }, p.label));
  }
  section.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show(0);
  });
  form.addEventListener("reset", () => setTimeout(() => show(0), 0));
  prev.addEventListener("click", () => show(Math.max(0, offset - pageSize())));
  next.addEventListener("click", () => show(offset + pageSize()));
  for (const button of form.querySelectorAll("button[data-format]")) {
    button.addEventListener("click", () => download(button.dataset.format));
  }
  await show(0);
}

start();
