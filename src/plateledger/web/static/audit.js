// The auditors' view: every entry, full content where the API serves it to this user.
import { api, describe, token } from "./api.js";
import { agencyIndex, el, localTime, utcTime } from "./format.js";
import { EntryList, agencyNames, fetchEntries, purposeLabel, typeLabel } from "./entries.js";

const AUDIT_ROLES = ["auditor", "supervisor"];
const ALARM_ROLES = ["auditor", "supervisor", "admin"];
const ALARM_LABELS = {
  denial_burst: "Burst of denied searches",
  flagged_reason: "Flagged reason",
  search_throttled: "Searches paused (throttled)",
  login_backoff: "Failed sign-ins: a device must wait",
};
const VIEW_NOTES = {
  full: "Full content: a user of your agency acted, or the entry is about your agency alone.",
  owner: "Your agency's reads were released to this search: the search, and your agency's part of it — not the other owners'.",
  denied: "Your agency denied this access: who tried, when, for what purpose and under which rule — not the query, case number or reason.",
  receipt: "A purge deleted or kept reads of your agency: the run, and your agency's part of it — its rows per day, its holds and its clocks, not the other owners'.",
  public: "Public summary: your agency took no part in this access.",
};
const agencies = agencyIndex();
const note = document.getElementById("view-note");
let full = false;

async function roles() {
  if (!token()) return [];
  try {
    return (await api("/v1/me")).roles;
  } catch {
    return [];
  }
}

function alarmItem(alarm) {
  const what = ALARM_LABELS[alarm.kind] ?? alarm.kind;
  const flags = alarm.reason_flags ? ` (${alarm.reason_flags.join(", ")})` : "";
  return el("li", { class: "alarm", id: `alarm-${alarm.index}` },
    el("time", { datetime: alarm.time }, localTime(alarm.time)), " ",
    el("strong", {}, what), `${flags}: ${alarm.user}, ${alarm.count} in ${alarm.window_seconds} s · `,
    el("a", { href: `#entry-${alarm.index}` }, `entry ${alarm.index}`));
}

// Server-sent events over fetch (EventSource cannot send the bearer token).
async function follow(list) {
  const response = await fetch("/v1/alarms/stream", {
    headers: { Authorization: `Bearer ${token()}`, Accept: "text/event-stream" },
    cache: "no-store",
  });
  if (!response.ok || !response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split("\n").find((line) => line.startsWith("data: "));
      if (data) list.prepend(alarmItem(JSON.parse(data.slice(6))));
    }
  }
}

async function showAlarms() {
  const section = document.getElementById("alarms");
  const list = document.getElementById("alarm-list");
  section.hidden = false;
  try {
    const { alarms } = await api("/v1/alarms");
    list.replaceChildren(...alarms.map(alarmItem));
    document.getElementById("alarms-status").textContent = alarms.length
      ? "" : "No alarm for your agency since this server started.";
    follow(list).catch(() => {});
  } catch (error) {
    document.getElementById("alarms-status").textContent = `The alarms could not be loaded: ${describe(error)}.`;
  }
}

function value(key, v) {
  if (key === "time") return `${localTime(v)} (${utcTime(v)})`;
  if (key === "purpose") return purposeLabel(v);
  if (key === "type") return typeLabel(v);
  if (key === "agencies" || key === "owners_allowed") return agencyNames(v);
  if (key === "agency" || key === "requested_by_agency") return agencies.bySlug(v);
  if (key === "denied" && v && !Array.isArray(v) && typeof v === "object") {
    return el("span", { class: "denied" }, `${agencies.bySlug(v.agency)}: `,
      el("span", { class: "verdict" }, "denied"), " by ",
      el("code", {}, (v.policy_ids ?? []).join(", ") || "no permitting policy"));
  }
  if ((key === "released" || key === "denied") && Array.isArray(v)) return agencyNames(v);
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
    const view = full && item.entry ? item.view : "public";
    body.replaceChildren(
      el("p", { class: `view-${view}` }, full ? VIEW_NOTES[view] ?? "" : "Public summary:"),
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
  const mine = await roles();
  full = mine.some((role) => AUDIT_ROLES.includes(role));
  if (mine.some((role) => ALARM_ROLES.includes(role))) showAlarms();
  const list = new EntryList({
    pageSize: 25, full,
    link: (index) => el("a", { href: `#entry-${index}` }, String(index)),
  });
  list.onLoad = (items) => {
    const served = items.some((item) => item.entry);
    if (full && items.length && !served) {
      note.textContent = "Your agency took no part in the entries on this page: these are the public summaries.";
    } else if (full) {
      note.textContent = "You see each entry as your agency's part earns: whole where your users acted; the search and your part of it where your reads were released to it; who tried and which rule where your agency denied; the public summary otherwise. Reading entries is itself a matter of record.";
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
