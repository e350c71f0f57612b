// A page of audit entries, newest first, with newer/older buttons.
import { api, describe } from "./api.js";
import { agencyIndex, el, localTime, purposeLabels, setBusy, utcTime } from "./format.js";

const agencies = agencyIndex();
const purpose = purposeLabels();

export const TYPE_LABELS = {
  search: "Search",
  export: "Export",
  alert_delivery: "Alert delivered",
  policy_change: "Policy change",
  agreement_change: "Sharing agreement change",
  user_change: "User change",
  key_change: "API key change",
  law_pack_change: "Law pack change",
  retention_run: "Retention purge",
  legal_hold: "Legal hold",
  log_key_rotation: "Log key rotation",
  audit_read: "Audit log read",
  image_view: "Image view",
  alert_withheld: "Hot-list hit withheld",
  zone_drop: "Reads dropped in a collection zone",
  zone_change: "Collection zone change",
  alarm: "Alarm",
};

export function typeLabel(type) {
  return TYPE_LABELS[type] ?? String(type ?? "—").replaceAll("_", " ");
}

export function agencyNames(slugs) {
  return (slugs ?? []).map((slug) => agencies.bySlug(slug)).join(", ") || "—";
}

export function purposeLabel(value) {
  return value ? purpose(value) : "—";
}

/** Fetch entries [start, start + limit) (public summaries, or full content with `full`). */
export async function fetchEntries(start, limit, { full = false } = {}) {
  const query = new URLSearchParams({ start: String(start), limit: String(limit) });
  if (full) query.set("full", "1");
  return api(`/v1/audit/entries?${query}`, { auth: full });
}

/** The entry list on the page; `link(index)` makes the cell that leads to an entry. */
export class EntryList {
  constructor({ pageSize = 25, full = false, link = null } = {}) {
    this.pageSize = pageSize;
    this.full = full;
    this.link = link;
    this.page = 0;
    this.size = null;
    this.status = document.getElementById("entries-status");
    this.body = document.querySelector("#entries-table tbody");
    this.newer = document.getElementById("entries-newer");
    this.older = document.getElementById("entries-older");
    this.label = document.getElementById("entries-page");
    this.newer.addEventListener("click", () => this.show(this.page - 1));
    this.older.addEventListener("click", () => this.show(this.page + 1));
    this.onLoad = () => {};
  }

  /** The page (0 = newest) that holds entry `index`. */
  pageOf(index) {
    if (this.size === null) return 0;
    return Math.max(0, Math.floor((this.size - 1 - index) / this.pageSize));
  }

  row(item) {
    const s = item.summary ?? {};
    const proof = el("a", { href: `/v1/audit/proof/inclusion?index=${item.index}` }, "proof");
    return el("tr", { id: `row-${item.index}` },
      el("td", { class: "num" }, this.link ? this.link(item.index) : String(item.index)),
      el("td", {}, s.time ? el("time", { datetime: s.time }, localTime(s.time)) : "—"),
      el("td", {}, s.time ? utcTime(s.time) : "—"),
      el("td", {}, typeLabel(s.type)),
      el("td", {}, agencyNames(s.agencies)),
      el("td", { class: "released" }, s.released ? agencyNames(s.released) : "—"),
      el("td", { class: "denied" }, s.denied ? agencyNames(s.denied) : "—"),
      el("td", {}, purposeLabel(s.purpose)),
      el("td", { class: "num" }, s.result_count ?? "—"),
      el("td", {}, proof),
    );
  }

  async show(page) {
    setBusy(this.status, "Loading entries…");
    this.newer.disabled = true;
    this.older.disabled = true;
    try {
      // Ask for the size first (a one-entry page) so that page 0 is the newest entries.
      const head = await fetchEntries(0, 1, { full: this.full });
      this.size = head.size;
      const pages = Math.max(1, Math.ceil(this.size / this.pageSize));
      this.page = Math.min(Math.max(0, page), pages - 1);
      const end = this.size - this.page * this.pageSize;
      const start = Math.max(0, end - this.pageSize);
      const data = end > 0 ? await fetchEntries(start, end - start, { full: this.full }) : head;
      const items = end > 0 ? [...data.entries].reverse() : [];
      this.body.replaceChildren(...items.map((item) => this.row(item)));
      if (!items.length) {
        this.body.append(el("tr", {}, el("td", { colspan: 10 }, "The log has no entries yet.")));
      }
      this.label.textContent = items.length
        ? `Entries ${items[0].index}–${items[items.length - 1].index} of ${this.size} · page ${this.page + 1} of ${pages}`
        : "";
      this.newer.disabled = this.page === 0;
      this.older.disabled = this.page >= pages - 1;
      setBusy(this.status, "");
      this.onLoad(items);
      return items;
    } catch (error) {
      setBusy(this.status, "");
      this.status.textContent = `The entries could not be loaded: ${describe(error)}.`;
      return [];
    }
  }
}
