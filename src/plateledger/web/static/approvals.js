// Approvals of pattern-of-life searches (GET /v1/approvals): a supervisor approves or
// refuses their agency's pending requests with a reason (POST /v1/approvals/{id}/approve
// or /refuse); a requester sees the status of their own and opens an approved one in the
// map workspace, to run it once. The server decides who sees and decides what.
import { api, describe, token } from "./api.js";
import { el, localTime } from "./format.js";

const status = document.getElementById("approvals-status");
const pageError = document.getElementById("approvals-error");
const decideSection = document.getElementById("to-decide");
const mineSection = document.getElementById("mine");
const STATUS = {
  pending: "Pending: waits for a supervisor",
  approved: "Approved: run it once",
  refused: "Refused",
  used: "Used: the approved search ran",
  expired: "Expired",
};

function dash(value) {
  return value === null || value === undefined || value === "" ? "—" : String(value);
}

function basisText(a) {
  const basis = a.legal_basis ?? {};
  const kind = basis.kind === "court_order" ? "Court order" : basis.kind === "warrant" ? "Warrant" : dash(basis.kind);
  return `${kind} ${dash(basis.number)}`;
}

// The window and places the request asked for: what the supervisor approves, and all the
// approved search may look at.
function scopeText(a) {
  const at = a.looks_at;
  if (!at) return "window not recorded";
  const parts = [];
  if (at.since || at.until) {
    parts.push(`${at.since ? localTime(at.since) : "the lookback's start"} to ${at.until ? localTime(at.until) : "now"}`);
  } else {
    parts.push("the agency's whole lookback");
  }
  if (at.cameras?.length) parts.push(`cameras ${at.cameras.join(", ")}`);
  if (at.area) parts.push("a drawn area");
  if (at.region) parts.push(`region ${at.region}`);
  return parts.join("; ");
}

function when(iso) {
  return el("time", { datetime: iso }, localTime(iso));
}

function showError(text) {
  pageError.textContent = text;
  pageError.hidden = !text;
  if (text) pageError.focus();
}

async function decide(row, approval, approve) {
  const reason = row.querySelector("textarea");
  const said = row.querySelector(".row-error");
  const note = reason.value.trim();
  said.hidden = true;
  if (!note) {
    reason.setAttribute("aria-invalid", "true");
    said.textContent = `Give the reason for ${approve ? "approving" : "refusing"} this request.`;
    said.hidden = false;
    reason.focus();
    return;
  }
  reason.setAttribute("aria-invalid", "false");
  const buttons = row.querySelectorAll("button");
  for (const b of buttons) b.disabled = true;
  try {
    const done = await api(`/v1/approvals/${encodeURIComponent(approval.id)}/${approve ? "approve" : "refuse"}`,
      { method: "POST", body: { note } });
    row.dataset.status = done.status;
    row.querySelector(".decision").replaceChildren(el("strong", {},
      `${done.status === "approved" ? "Approved" : "Refused"} by ${done.decided_by}`),
    el("br"), el("span", { class: "hint" }, `audit entry ${dash(done.decision_index)}`));
    status.textContent = `Request ${done.id} for ${done.plate} ${done.status}.`;
  } catch (error) {
    said.textContent = `The decision was not recorded: ${describe(error)}`;
    said.hidden = false;
    for (const b of buttons) b.disabled = false;
    reason.focus();
  }
}

function pendingRow(a, me) {
  const id = `decide-${a.id}`;
  const reason = el("textarea", { id: `${id}-note`, rows: 2, maxlength: 2000, required: true });
  const approve = el("button", { type: "button", class: "approve" }, "Approve");
  const refuse = el("button", { type: "button", class: "secondary refuse" }, "Refuse");
  const own = a.requester === me.username;
  const row = el("tr", { "data-approval": a.id, "data-status": a.status },
    el("td", {}, when(a.created_at), el("br"), el("span", { class: "hint" }, `expires ${localTime(a.expires_at)}`)),
    el("td", {}, a.requester, own ? el("span", { class: "hint" }, " (you: another supervisor decides)") : null),
    el("td", { class: "plate" }, a.plate),
    el("td", {}, a.kind === "locate" ? "Pattern of life (locate)" : a.kind, el("br"),
      el("span", { class: "hint looks-at" }, scopeText(a))),
    el("td", { class: "basis" }, basisText(a)),
    el("td", { class: "court" }, dash(a.legal_basis?.court)),
    el("td", {}, dash(a.case_number), el("br"), el("span", { class: "hint" }, `offense ${dash(a.offense_type)}`)),
    el("td", {}, a.reason, el("ul", { class: "because" }, (a.because ?? []).map((b) => el("li", { class: "hint" }, b)))),
    el("td", { class: "decision" },
      el("label", { for: reason.id }, `Reason for your decision on ${a.plate}`), reason,
      el("div", { role: "group", "aria-label": `Decide the request for ${a.plate}` }, approve, " ", refuse),
      el("p", { class: "message error row-error", role: "alert", hidden: true })));
  approve.addEventListener("click", () => decide(row, a, true));
  refuse.addEventListener("click", () => decide(row, a, false));
  return row;
}

function mineRow(a) {
  let next = el("span", { class: "hint" }, a.next_step);
  if (a.status === "approved") {
    next = el("a", { href: `/workspace?approval=${encodeURIComponent(a.id)}`, class: "run-approved" },
      `Run the approved search for ${a.plate} (once)`);
  }
  return el("tr", { "data-approval": a.id, "data-status": a.status },
    el("td", {}, when(a.created_at)),
    el("td", { class: "plate" }, a.plate),
    el("td", {}, basisText(a), el("br"), el("span", { class: "hint" }, dash(a.legal_basis?.court))),
    el("td", {}, dash(a.case_number)),
    el("td", { class: `state ${a.status}` }, STATUS[a.status] ?? a.status),
    el("td", {}, a.decided_by ? `${a.decided_by}${a.note ? `: ${a.note}` : ""}` : "—"),
    el("td", {}, next));
}

function empty(columns, text) {
  return el("tr", {}, el("td", { colspan: String(columns) }, text));
}

async function start() {
  if (!token()) return;
  status.textContent = "Loading…";
  let me;
  let pending;
  let all;
  try {
    me = await api("/v1/me");
    pending = await api("/v1/approvals?status=pending");
    all = await api("/v1/approvals?status=all");
  } catch (error) {
    status.textContent = "";
    status.hidden = true;
    showError(`The approvals could not be loaded: ${describe(error)}`);
    return;
  }
  const supervisor = me.roles.includes("supervisor");
  if (supervisor) {
    const body = document.querySelector("#pending-table tbody");
    body.replaceChildren(...pending.map((a) => pendingRow(a, me)));
    if (!pending.length) body.append(empty(9, "No request waits for a decision."));
    decideSection.hidden = false;
  } else {
    document.getElementById("not-supervisor").hidden = false;
  }
  const mine = all.filter((a) => a.requester === me.username);
  const body = document.querySelector("#mine-table tbody");
  body.replaceChildren(...mine.map(mineRow));
  if (!mine.length) body.append(empty(7, "You have asked for no approval."));
  mineSection.hidden = false;
  status.textContent = supervisor
    ? `${pending.length} request(s) wait for a decision; ${mine.length} of your own.`
    : `${mine.length} request(s) of your own.`;
  document.body.dataset.loaded = "true";
}

start();
