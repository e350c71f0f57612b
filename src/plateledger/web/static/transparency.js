// The public page: recent entries, and counts computed from them in the browser.
import { api } from "./api.js";
import { agencyIndex, el } from "./format.js";
import { EntryList, purposeLabel, typeLabel } from "./entries.js";

const STATS_WINDOW = 1000;
const agencies = agencyIndex();

function countRows(tbody, rows) {
  tbody.replaceChildren(...rows.map(([label, ...numbers]) =>
    el("tr", {}, el("th", { scope: "row" }, label),
      ...numbers.map((n) => el("td", { class: "num" }, n)))));
}

// The counts are computed by the server from the public summaries only (/v1/audit/counts).
async function stats() {
  const scope = document.getElementById("stats-scope");
  try {
    const counts = await api(`/v1/audit/counts?window=${STATS_WINDOW}`, { auth: false });
    scope.textContent = counts.counted
      ? `Counted over the ${counts.counted} most recent entries (of ${counts.size}).`
      : "The log has no entries yet.";
    const purposes = Object.entries(counts.searches_by_purpose)
      .sort((a, b) => b[1].searches - a[1].searches);
    countRows(document.querySelector("#purpose-counts tbody"),
      purposes.length
        ? purposes.map(([p, row]) => [purposeLabel(p), row.searches, row.reads])
        : [["No searches yet", 0, 0]]);
    const types = Object.entries(counts.by_type).sort((a, b) => b[1] - a[1])
      .map(([t, n]) => [typeLabel(t), n]);
    countRows(document.querySelector("#type-counts tbody"), types.length ? types : [["No entries yet", 0]]);
    const owners = new Set([...Object.keys(counts.released_by_owner),
      ...Object.keys(counts.denied_by_owner), ...Object.keys(counts.withheld_hits_by_owner)]);
    countRows(document.querySelector("#owner-counts tbody"),
      owners.size
        ? [...owners].sort().map((o) => [agencies.bySlug(o), counts.released_by_owner[o] ?? 0,
          counts.denied_by_owner[o] ?? 0, counts.withheld_hits_by_owner[o] ?? 0])
        : [["No accesses yet", 0, 0, 0]]);
    countRows(document.querySelector("#withheld-counts tbody"),
      counts.withheld_hits.length
        ? counts.withheld_hits.map((w) => [
          `${agencies.bySlug(w.read_owner)}: ${w.list_class}`, w.count])
        : [["No hot-list hit withheld", 0]]);
    countRows(document.querySelector("#zone-counts tbody"),
      counts.zone_drops.length
        ? counts.zone_drops.map((z) => [`${agencies.bySlug(z.owner)} · ${z.rule_id}`, z.reads])
        : [["No read dropped in a collection zone", 0]]);
  } catch {
    scope.textContent = "The counts could not be computed: the server did not answer.";
  }
}

for (const node of document.querySelectorAll(".origin-url")) {
  node.textContent = window.location.origin;
}
new EntryList({ pageSize: 20 }).show(0);
stats();
