// The public page: recent entries, and counts computed from them in the browser.
import { el } from "./format.js";
import { EntryList, fetchEntries, purposeLabel, typeLabel } from "./entries.js";

const STATS_WINDOW = 1000;

// The public summary names denied owners under one of these keys when it carries them.
function denials(summary) {
  const denied = summary.owners_denied ?? summary.denied;
  return Array.isArray(denied) ? denied.length : null;
}

function countRows(tbody, rows) {
  tbody.replaceChildren(...rows.map(([label, ...numbers]) =>
    el("tr", {}, el("th", { scope: "row" }, label),
      ...numbers.map((n) => el("td", { class: "num" }, n)))));
}

async function stats() {
  const scope = document.getElementById("stats-scope");
  try {
    const head = await fetchEntries(0, 1);
    const start = Math.max(0, head.size - STATS_WINDOW);
    const data = head.size ? await fetchEntries(start, STATS_WINDOW) : { entries: [] };
    const summaries = data.entries.map((item) => item.summary ?? {});
    const byPurpose = new Map();
    const byType = new Map();
    let deniedOwners = 0;
    let deniedSearches = 0;
    let published = false;
    for (const s of summaries) {
      byType.set(s.type, (byType.get(s.type) ?? 0) + 1);
      if (s.type !== "search") continue;
      const [n, reads] = byPurpose.get(s.purpose) ?? [0, 0];
      byPurpose.set(s.purpose, [n + 1, reads + (s.result_count ?? 0)]);
      const denied = denials(s);
      if (denied !== null) {
        published = true;
        deniedOwners += denied;
        if (denied > 0) deniedSearches += 1;
      }
    }
    scope.textContent = summaries.length
      ? `Counted over the ${summaries.length} most recent entries (of ${head.size}).`
      : "The log has no entries yet.";
    const purposes = [...byPurpose].sort((a, b) => b[1][0] - a[1][0]);
    countRows(document.querySelector("#purpose-counts tbody"),
      purposes.length
        ? purposes.map(([p, [n, reads]]) => [purposeLabel(p), n, reads])
        : [["No searches yet", 0, 0]]);
    const types = [...byType].sort((a, b) => b[1] - a[1]).map(([t, n]) => [typeLabel(t), n]);
    types.push(published
      ? ["Searches with an agency's data denied", deniedSearches]
      : ["Denials", "not in the public summaries"]);
    if (published) types.push(["Denials (agency × search)", deniedOwners]);
    countRows(document.querySelector("#type-counts tbody"), types);
  } catch {
    scope.textContent = "The counts could not be computed: the entries did not load.";
  }
}

for (const node of document.querySelectorAll(".origin-url")) {
  node.textContent = window.location.origin;
}
new EntryList({ pageSize: 20 }).show(0);
stats();
