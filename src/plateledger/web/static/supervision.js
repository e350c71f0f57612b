// Supervisors' page: operators' analytics, and a random sample to review and sign off.
import { api, describe, token } from "./api.js";
import { el } from "./format.js";

const status = document.getElementById("sup-status");
const FINDINGS = ["justified", "unjustified", "needs_follow_up"];
let sample = null;

async function operators() {
  const body = await api("/v1/supervision/operators?days=30");
  const rows = body.operators.map((o) => el("tr", {},
    el("th", { scope: "row" }, o.user),
    ...[o.searches, o.busiest_day, o.off_hours, o.wide_scope, o.vague_reasons,
      o.longest_denial_streak].map((n) => el("td", { class: "num" }, String(n))),
    el("td", {}, o.flags.join(", ") || "—")));
  document.querySelector("#operators tbody").replaceChildren(
    ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "8" }, "No searches."))]));
  status.textContent = `Agency ${body.agency}: ${body.operators.length} operators.`;
}

function findingSelect(index) {
  return el("select", { name: `finding-${index}`, "data-index": String(index) },
    ...FINDINGS.map((f) => el("option", { value: f }, f.replaceAll("_", " "))));
}

document.getElementById("draw-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const size = Number(document.getElementById("sample-size").value);
    sample = await api("/v1/supervision/samples", { method: "POST", body: { size } });
    document.querySelector("#sample tbody").replaceChildren(...sample.items.map((i) =>
      el("tr", {}, el("td", {}, String(i.index)), el("td", {}, i.user ?? ""),
        el("td", {}, i.purpose ?? ""), el("td", {}, i.case_number ?? "none"),
        el("td", {}, i.reason ?? ""), el("td", {}, i.plate ?? ""),
        el("td", {}, findingSelect(i.index)))));
    document.getElementById("review-form").hidden = sample.items.length === 0;
    status.textContent = `Sample ${sample.sample}: ${sample.items.length} of ${sample.pool} searches.`;
  } catch (error) {
    status.textContent = describe(error);
  }
});

document.getElementById("review-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const findings = {};
  for (const select of document.querySelectorAll("#sample select")) {
    findings[select.dataset.index] = select.value;
  }
  try {
    const signed = await api(`/v1/supervision/samples/${sample.sample}/review`, {
      method: "POST",
      body: { findings, note: document.getElementById("review-note").value },
    });
    status.textContent = `Signed off: audit entry ${signed.review}.`;
    document.getElementById("review-form").hidden = true;
  } catch (error) {
    status.textContent = describe(error);
  }
});

if (token()) {
  operators().catch((error) => { status.textContent = describe(error); });
}
