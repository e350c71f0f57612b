// Small helpers shared by the pages: elements, times, agencies, purposes.

/** An element with attributes and children (strings become text, never HTML). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A map tooltip's content as text: Leaflet sets a string as HTML, and names come from
 * cameras, administrators and partner nodes. */
export function tip(text) {
  return el("span", {}, text);
}

export function pageData(id, fallback) {
  const node = document.getElementById(id);
  if (!node) return fallback;
  try {
    return JSON.parse(node.textContent ?? "");
  } catch {
    return fallback;
  }
}

const local = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
});

export function localTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso ?? "") : local.format(date);
}

export function utcTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso ?? "");
  return `${date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "")} UTC`;
}

/** id → agency and slug → agency, from the page's embedded list. */
export function agencyIndex() {
  const list = pageData("agencies-data", []);
  const byId = new Map(list.map((a) => [a.id, a]));
  const bySlug = new Map(list.map((a) => [a.slug, a]));
  return {
    byId(id) {
      return byId.get(id)?.name ?? `agency #${id}`;
    },
    bySlug(slug) {
      return bySlug.get(slug)?.name ?? slug;
    },
  };
}

export function purposeLabels() {
  const list = pageData("purposes-data", []);
  const labels = new Map(list.map((p) => [p.value, p.label]));
  return (value) => labels.get(value) ?? (value ? String(value).replaceAll("_", " ") : "—");
}

export function setBusy(node, text) {
  node.textContent = text;
  node.classList.toggle("busy", Boolean(text));
}
