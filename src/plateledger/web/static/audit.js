// The auditors' view: every entry, full content where the API serves it to this user.
import { api, describe, token } from "./api.js";
import { agencyIndex, el, localTime, utcTime } from "./format.js";
import { EntryList, agencyNames, fetchEntries, purposeLabel, typeLabel } from "./entries.js";

const AUDIT_ROLES = ["auditor", "supervisor"];
const agencies = agencyIndex();
const note = document.getElementById("view-note");
let full = false;

async function mayReadFull() {
  if (!token()) return false;
  try {
    const me = await api("/v1/me");
    return me.roles.some((role) => AUDIT_ROLES.includes(role));
  } catch {
    return false;
  }
}

function value(key, v) {
  if (key === "time") return `${localTime(v)} (${utcTime(v)})`;
  if (key === "purpose") return purposeLabel(v);
  if (key === "type") return typeLabel(v);
  if (key === "agencies" || key === "owners_allowed") return agencyNames(v);
  if (key === "agency" || key === "requested_by_agency") return agencies.bySlug(v);
  if (key === "owners_denied" && Array.isArray(v)) {
    if (!v.length) return "none";
    return el("ul", { class: "owners" }, ...v.map((d) =>
      el("li", { class: "denied" }, `${agencies.bySlug(d.agency)}: `,
        el("span", { class: "verdict" }, "denied"), " by ",
        el("code", {}, (d.policy_ids ?? []).join(", ") || "no permitting policy"))));
  }
  if (v !== null && typeof v === "object") return el("pre", {}, JSON.stringify(v, null, 2));
  return v === null || v === undefined || v === "" ? "—" : String(v);
}

function describeEntry(fields) {
  return el("dl", { class: "entry" }, ...Object.entries(fields).flatMap(([key, v]) => [
    el("dt", {}, key.replaceAll("_", " ")), el("dd", {}, value(key, v)),
  ]));
}

async function showDetail(index) {
  const detail = document.getElementById("detail");
  const body = document.getElementById("detail-body");
  const proofBox = document.getElementById("detail-proof");
  document.getElementById("detail-index").textContent = `#${index}`;
  body.replaceChildren("Loading…");
  proofBox.textContent = "";
  detail.hidden = false;
  try {
    const page = await fetchEntries(index, 1, { full });
    const item = page.entries[0];
    if (!item || item.index !== index) throw new Error(`there is no entry ${index}`);
    body.replaceChildren(
      el("p", {}, full && item.entry ? "Full content:" : "Public summary:"),
      describeEntry(full && item.entry ? item.entry : item.summary),
      el("p", { class: "hint" }, `Leaf hash (base64): `, el("code", {}, item.leaf_hash)),
    );
    const proof = await api(`/v1/audit/proof/inclusion?index=${index}`, { auth: false });
    proofBox.textContent = [
      `tree size  ${proof.size}`, `root hash  ${proof.root_hash}`,
      `leaf hash  ${proof.leaf_hash}`, "audit path:",
      ...proof.proof.map((h, i) => `  ${String(i).padStart(2)}  ${h}`),
    ].join("\n");
  } catch (error) {
    body.replaceChildren(`The entry could not be loaded: ${describe(error)}.`);
  }
  document.getElementById("h-detail").focus();
}

function entryFromHash() {
  const match = /^#entry-(\d+)$/.exec(window.location.hash);
  return match ? Number(match[1]) : null;
}

async function start() {
  full = await mayReadFull();
  const list = new EntryList({
    pageSize: 25, full,
    link: (index) => el("a", { href: `#entry-${index}` }, String(index)),
  });
  list.onLoad = (items) => {
    const served = items.some((item) => item.entry);
    if (full && items.length && !served) {
      note.textContent = "Your account reads whole entries that concern your agency; none on this page does, so these are the public summaries.";
    } else if (full) {
      note.textContent = "Showing full content: you are signed in as an auditor or supervisor. Reading entries is itself a matter of record.";
    } else {
      note.textContent = token()
        ? "Public summaries: full content is for auditors and supervisors."
        : "Public summaries. Auditors and supervisors: sign in to see full content.";
    }
  };
  const wanted = entryFromHash();
  await list.show(0);
  if (wanted !== null) {
    await list.show(list.pageOf(wanted));
    showDetail(wanted);
  }
  window.addEventListener("hashchange", () => {
    const index = entryFromHash();
    if (index !== null) showDetail(index);
  });
  document.getElementById("jump-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const index = Number.parseInt(event.target.jump.value, 10);
    if (Number.isNaN(index) || index < 0) return;
    await list.show(list.pageOf(index));
    window.location.hash = `entry-${index}`;
  });
}

start();
