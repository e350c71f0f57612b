// The cases pages: the agency's cases (GET /v1/cases, POST /v1/cases) and one case with its
// searches (GET /v1/cases/{number}), its report downloaded with the user's token, and
// closing or reopening it (PATCH /v1/cases/{number}).
import { api, describe, token } from "./api.js";
import { el, localTime, pageData, setBusy } from "./format.js";

const page = document.body.dataset.page;

function dash(value) {
  return value === null || value === undefined || value === "" ? "—" : String(value);
}

function hint(text) {
  return el("span", { class: "hint" }, text);
}

function caseLink(number) {
  return `/cases/${encodeURIComponent(number)}`;
}

async function listCases() {
  const status = document.getElementById("cases-status");
  const section = document.getElementById("cases");
  const body = document.querySelector("#cases-table tbody");
  if (!token()) return;
  setBusy(status, "Loading…");
  try {
    const cases = await api("/v1/cases");
    body.replaceChildren(...cases.map((c) => el("tr", {},
      el("td", {}, el("a", { href: caseLink(c.number) }, c.number)),
      el("td", {}, dash(c.title)),
      el("td", {}, c.status),
      el("td", {}, localTime(c.created_at), el("br"), hint(`by ${c.opened_by}`)))));
    if (!cases.length) {
      body.append(el("tr", {}, el("td", { colspan: "4" }, "Your agency has no case yet.")));
    }
    setBusy(status, "");
    status.hidden = true;
    section.hidden = false;
  } catch (error) {
    setBusy(status, "");
    status.textContent = `The cases could not be loaded: ${describe(error)}.`;
  }
}

function startList() {
  const form = document.getElementById("open-form");
  const said = document.getElementById("open-status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      const opened = await api("/v1/cases", { method: "POST", body: {
        number: String(data.get("number") ?? "").trim(),
        title: String(data.get("title") ?? "").trim(),
      } });
      window.location.assign(caseLink(opened.number));
    } catch (error) {
      said.textContent = `The case was not opened: ${describe(error)}.`;
    }
  });
  listCases();
}

function owners(search) {
  const list = el("ul", { class: "owners" });
  if (search.owners_allowed.length) {
    list.append(el("li", { class: "allowed" }, el("span", { class: "verdict" },
      "released"), " ", hint(search.owners_allowed.join(", "))));
  }
  for (const denied of search.owners_denied) {
    list.append(el("li", { class: "denied" }, el("span", { class: "verdict" }, "denied"), " ",
      hint(`${denied.agency} (${denied.policy_ids.join(", ") || "no rule id"})`)));
  }
  return list;
}

function searchRow(s) {
  const what = s.entry_type === "export" ? `export · ${s.kind}` : s.kind;
  return el("tr", { "data-search-id": s.search_id },
    el("td", {}, localTime(s.time), el("br"), hint(s.user)),
    el("td", {}, `${what} `, el("code", {}, dash(s.plate)), el("br"),
      el("code", { class: "hint", title: s.search_id }, s.search_id.slice(0, 8))),
    el("td", {}, `${s.purpose} · ${dash(s.offense_type)}`),
    el("td", {}, s.legal_basis),
    el("td", {}, owners(s)),
    el("td", { class: "num" }, `${dash(s.returned)} of ${dash(s.result_count)}`, el("br"),
      el("code", { class: "hint", title: s.result_digest }, s.result_digest.slice(0, 12))),
    el("td", { class: "num" }, String(s.audit_index)));
}

async function download(link, filename) {
  const status = document.getElementById("case-status");
  status.hidden = false;
  setBusy(status, "Preparing the report…");
  try {
    const response = await fetch(link.href, {
      headers: { Authorization: `Bearer ${token()}` }, cache: "no-store",
    });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const save = el("a", { href: url, download: filename });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    setBusy(status, "");
    status.textContent = `Report downloaded; it is audit entry ${response.headers.get("X-Audit-Index") ?? "?"}.`;
  } catch (error) {
    setBusy(status, "");
    status.textContent = `The report could not be made: ${describe(error)}.`;
  }
}

async function showCase(number) {
  const status = document.getElementById("case-status");
  const section = document.getElementById("case");
  const toggle = document.getElementById("case-toggle");
  setBusy(status, "Loading…");
  try {
    const found = await api(`/v1/cases/${encodeURIComponent(number)}`);
    const closed = found.closed_at
      ? ` Closed by ${found.closed_by}, ${localTime(found.closed_at)}.` : "";
    document.getElementById("case-summary").textContent =
      `${found.title || "Untitled"} — ${found.status}. Opened by ${found.opened_by}, `
      + `${localTime(found.created_at)}.${closed} ${found.searches.length} searches.`;
    const body = document.querySelector("#case-searches tbody");
    body.replaceChildren(...found.searches.map(searchRow));
    if (!found.searches.length) {
      body.append(el("tr", {}, el("td", { colspan: "7" },
        "No search of your agency names this case number yet.")));
    }
    toggle.textContent = found.status === "open" ? "Close the case" : "Reopen the case";
    toggle.dataset.next = found.status === "open" ? "closed" : "open";
    setBusy(status, "");
    status.hidden = true;
    section.hidden = false;
  } catch (error) {
    setBusy(status, "");
    status.textContent = `The case could not be loaded: ${describe(error)}.`;
  }
}

function startCase() {
  const number = pageData("case-data", "");
  if (!token()) return;
  const safe = number.replace(/[^A-Za-z0-9._-]/g, "_");
  document.getElementById("report-pdf").addEventListener("click", (event) => {
    event.preventDefault();
    download(event.currentTarget, `case-${safe}.pdf`);
  });
  document.getElementById("report-html").addEventListener("click", (event) => {
    event.preventDefault();
    download(event.currentTarget, `case-${safe}.html`);
  });
  document.getElementById("case-toggle").addEventListener("click", async (event) => {
    try {
      await api(`/v1/cases/${encodeURIComponent(number)}`, {
        method: "PATCH", body: { status: event.currentTarget.dataset.next } });
    } catch (error) {
      document.getElementById("case-status").textContent = describe(error);
    }
    showCase(number);
  });
  showCase(number);
}

if (page === "cases") startList();
if (page === "case") startCase();
