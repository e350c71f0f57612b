// The investigator's map workspace: plate timelines, convoys, stakeouts and patterns of
// life over POST /v1/searches, drawn on a Leaflet map served by this server (no tiles from
// outside). A pattern-of-life search that waits for a supervisor (HTTP 202) shows its
// approval's status here; once approved it runs from here, once.
import { api, describe, token } from "/static/api.js";
import { el, tip } from "/static/format.js";
import { context, facts, keepContext, showImages } from "/static/readview.js";

const L = window.L;
const form = document.getElementById("ws-form");
const errorBox = document.getElementById("ws-error");
const status = document.getElementById("ws-status");
const areaList = document.getElementById("area-list");
const detail = document.getElementById("read-detail");
const map = L.map("map", { attributionControl: false, keyboard: true, maxZoom: 19, minZoom: 3 }).setView([37.59, -122.04], 12);
const basemap = L.layerGroup().addTo(map);
const clusters = L.markerClusterGroup({ showCoverageOnHover: false }).addTo(map);
const overlay = L.layerGroup().addTo(map);
const drawn = L.layerGroup().addTo(map);
const sketch = L.layerGroup().addTo(map);
const AREA_STYLE = { color: "#b3261e", weight: 2, fillOpacity: 0.12 };
const areas = [];
let drawing = null;
let current = null;
let approval = null; // the pattern-of-life request this page follows, if any
const basisBox = document.getElementById("legal-basis");
/** Searches that follow a vehicle over time: each may name its warrant; a locate must. */
const TRACKING = ["locate", "timeline", "convoy"];
const approvalBox = document.getElementById("locate-approval");
const patternBox = document.getElementById("locate-pattern");
const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));
const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
// For people and tests driving the page: the map and the state of the last search.
window.plateledgerWorkspace = { map, areas, clusters, state: () => current };

// The default basemap is what the catalog knows, each kind drawn differently; no roads.
const BASEMAP_STYLE = {
  agency_area: { color: "#7a869a", weight: 1, fillOpacity: 0.04, dashArray: "6 4", className: "basemap-area" },
  zone: { color: "#b45309", weight: 1.5, fillColor: "#f59e0b", fillOpacity: 0.15, className: "basemap-zone" },
  heading: { color: "#5b6675", weight: 2, opacity: 0.9, className: "basemap-heading" },
};

function basemapPoint(p, latlng) {
  if (p.kind === "seat") {
    return L.circleMarker(latlng, { radius: 7, color: "#1b1f24", weight: 2, fillColor: "#fff",
      fillOpacity: 1, className: "basemap-seat" }).bindTooltip(tip(`seat of ${p.name}`));
  }
  const facingText = typeof p.heading === "number" ? `, faces ${Math.round(p.heading)}°` : "";
  return L.circleMarker(latlng, { radius: 4, color: "#445", weight: 1, fillColor: "#8893a3",
    fillOpacity: 0.8, className: "basemap-camera" })
    .bindTooltip(tip(`camera ${p.camera_id}${p.name ? ` (${p.name})` : ""}${facingText}`));
}

function basemapLegend(data) {
  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => el("div", { class: "basemap-legend", id: "basemap-legend" },
    ...(data.pmtiles
      ? [el("strong", {}, "Street map: the operator's PMTiles file."),
        " Over it, from the catalog: your agency's cameras, their area, zones and seat."]
      : [el("strong", {}, "Basemap"), ` drawn from ${data.drawn_from}.`, el("br"), data.no_roads]));
  legend.addTo(map);
}

async function loadBasemap() {
  try {
    const data = await api("/v1/basemap");
    if (data.pmtiles && window.protomapsL && window.pmtiles) {
      // The operator's PMTiles file, read in byte ranges with the user's token.
      const source = new window.pmtiles.FetchSource(data.pmtiles,
        new Headers({ Authorization: `Bearer ${token()}` }));
      const tiles = new window.pmtiles.PMTiles(source);
      const header = await tiles.getHeader();
      // Past the file's last zoom level its deepest tiles are drawn larger.
      window.protomapsL.leafletLayer({ url: tiles, flavor: "light", maxDataZoom: header.maxZoom })
        .addTo(basemap);
      map.getContainer().dataset.pmtiles = "drawn";
    }
    const layer = L.geoJSON(data, {
      pointToLayer: (feature, latlng) => basemapPoint(feature.properties, latlng),
      style: (feature) => BASEMAP_STYLE[feature.properties.kind] ?? {},
      onEachFeature: (feature, drawnLayer) => {
        const p = feature.properties;
        if (p.kind === "zone") drawnLayer.bindTooltip(tip(`collection zone: ${p.name} (${p.place.replaceAll("_", " ")})`));
        if (p.kind === "heading") drawnLayer.bindTooltip(tip(`camera ${p.camera_id} faces ${Math.round(p.heading)}°`));
      },
    }).addTo(basemap);
    // The legend sits at the bottom left: keep the drawn features above it.
    if (layer.getBounds().isValid()) {
      map.fitBounds(layer.getBounds(), { paddingTopLeft: [20, 20], paddingBottomRight: [20, 110] });
    }
    basemapLegend(data);
    map.getContainer().dataset.basemap = "ready";
  } catch (error) {
    showError(`The basemap could not be loaded: ${describe(error)}`);
  }
}

async function loadOffenses() {
  const select = form.offense_type;
  if (!select || select.options.length > 1) return;
  try {
    const offenses = await api("/v1/offense-types", { auth: false });
    select.append(...offenses.map((o) => el("option", { value: o.code }, `${o.code} — ${o.name}`)));
  } catch (error) {
    showError(`The offense list could not be loaded: ${describe(error)}`);
  }
}

function kind() {
  return form.querySelector("input[name=kind]:checked").value;
}

function isoUtc(value) {
  return value ? `${value.length === 16 ? `${value}:00` : value}Z` : null;
}

function localInput(date) {
  return date.toISOString().slice(0, 19);
}

function timeWindow() {
  return { since: isoUtc(form.since.value), until: isoUtc(form.until.value) };
}

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
}

// Drawing --------------------------------------------------------------------------------

function areaText(a, i) {
  if (a.shape === "circle") {
    return `Area ${i + 1}: circle ${a.meters} m around ${a.lat.toFixed(5)}, ${a.lon.toFixed(5)}`;
  }
  if (a.shape === "box") {
    return `Area ${i + 1}: box ${a.south.toFixed(5)}, ${a.west.toFixed(5)} – ${a.north.toFixed(5)}, ${a.east.toFixed(5)}`;
  }
  return `Area ${i + 1}: polygon of ${a.points.length} corners`;
}

function areaLayer(a) {
  if (a.shape === "circle") return L.circle([a.lat, a.lon], { radius: a.meters, ...AREA_STYLE });
  if (a.shape === "box") return L.rectangle([[a.south, a.west], [a.north, a.east]], AREA_STYLE);
  return L.polygon(a.points, AREA_STYLE);
}

function renderAreas() {
  drawn.clearLayers();
  areas.forEach((a, i) => {
    const layer = areaLayer(a).addTo(drawn);
    // A label of its own (a permanent tooltip would outlive its area in Leaflet 1.9.4).
    L.marker(a.shape === "circle" ? [a.lat, a.lon] : layer.getBounds().getCenter(), {
      interactive: false, keyboard: false, icon: L.divIcon({ className: "area-label",
        html: el("span", {}, `Area ${i + 1}`), iconSize: null, iconAnchor: [70, 10] }) }).addTo(drawn);
  });
  areaList.replaceChildren(...areas.map((a, i) => {
    const remove = el("button", { type: "button", class: "link", "aria-label": `Remove area ${i + 1}` }, "remove");
    remove.addEventListener("click", () => {
      areas.splice(i, 1);
      renderAreas();
    });
    return el("li", {}, areaText(a, i), " ", remove);
  }));
  form.min_areas.max = String(Math.max(areas.length, 1));
  if (Number(form.min_areas.value) > areas.length) form.min_areas.value = String(Math.max(areas.length, 1));
}

function addArea(area) {
  areas.push(area);
  renderAreas();
  status.textContent = `${areas.length} area(s) drawn.`;
}

function stopDrawing(message) {
  drawing = null;
  sketch.clearLayers();
  map.doubleClickZoom.enable();
  map.getContainer().classList.remove("drawing");
  if (message !== undefined) status.textContent = message;
}

const PROMPTS = {
  circle: "Click the centre of the circle (Escape cancels).",
  box: "Click the first corner (Escape cancels).",
  polygon: "Click each corner of the polygon; Enter finishes, Escape cancels.",
};

function startDrawing(shape) {
  stopDrawing();
  drawing = { shape, points: [] };
  map.doubleClickZoom.disable();
  map.getContainer().classList.add("drawing");
  status.textContent = PROMPTS[shape];
  map.getContainer().focus();
}

function finishPolygon() {
  if (!drawing || drawing.shape !== "polygon") return;
  if (drawing.points.length < 3) {
    status.textContent = "A polygon needs at least three corners; click more, or Escape to cancel.";
    return;
  }
  const points = drawing.points.map((p) => [p.lat, p.lng]);
  stopDrawing();
  addArea({ shape: "polygon", points });
}

map.on("click", (event) => {
  if (!drawing) return;
  const p = event.latlng;
  drawing.points.push(p);
  if (drawing.shape === "polygon") {
    sketch.clearLayers();
    L.polyline(drawing.points, { ...AREA_STYLE, dashArray: "4 4" }).addTo(sketch);
    drawing.points.forEach((q) => L.circleMarker(q, { radius: 4, color: "#b3261e" }).addTo(sketch));
    status.textContent = `${drawing.points.length} corner(s); Enter finishes, Escape cancels.`;
    return;
  }
  if (drawing.points.length === 1) {
    L.circleMarker(p, { radius: 4, color: "#b3261e" }).addTo(sketch);
    status.textContent = drawing.shape === "circle"
      ? "Click the edge of the circle." : "Click the opposite corner.";
    return;
  }
  const [a, b] = drawing.points;
  const shape = drawing.shape;
  stopDrawing();
  if (shape === "circle") {
    addArea({ shape: "circle", lat: a.lat, lon: a.lng, meters: Math.max(1, Math.round(map.distance(a, b))) });
  } else {
    const bounds = L.latLngBounds(a, b);
    addArea({ shape: "box", south: bounds.getSouth(), west: bounds.getWest(),
      north: bounds.getNorth(), east: bounds.getEast() });
  }
});

document.addEventListener("keydown", (event) => {
  if (!drawing) return;
  if (event.key === "Escape") {
    event.preventDefault();
    stopDrawing("Drawing cancelled.");
  } else if (event.key === "Enter" && drawing.shape === "polygon") {
    event.preventDefault();
    finishPolygon();
  }
});

document.getElementById("draw-circle").addEventListener("click", () => startDrawing("circle"));
document.getElementById("draw-box").addEventListener("click", () => startDrawing("box"));
document.getElementById("draw-polygon").addEventListener("click", () => startDrawing("polygon"));
document.getElementById("clear-areas").addEventListener("click", () => {
  stopDrawing();
  areas.length = 0;
  renderAreas();
  status.textContent = "Areas cleared.";
});

function numbers(text) {
  return (text.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
}

/** An area typed in the form (the keyboard's way to draw), or a sentence saying what is wrong. */
function typedArea() {
  const shape = document.getElementById("area-shape").value;
  const values = numbers(document.getElementById("area-coords").value);
  const lat = (v) => v >= -90 && v <= 90;
  const lon = (v) => v >= -180 && v <= 180;
  if (shape === "circle") {
    const meters = Number(document.getElementById("area-radius").value);
    if (values.length !== 2 || !lat(values[0]) || !lon(values[1])) return "A circle needs its centre as: lat, lon.";
    if (!(meters > 0 && meters <= 100000)) return "A circle's radius must be 1 to 100000 metres.";
    return { shape, lat: values[0], lon: values[1], meters };
  }
  if (shape === "box") {
    const [south, west, north, east] = values;
    if (values.length !== 4 || !lat(south) || !lat(north) || !lon(west) || !lon(east)) {
      return "A box needs: south, west, north, east.";
    }
    if (south > north || west > east) return "A box needs south below north and west left of east.";
    return { shape, south, west, north, east };
  }
  if (values.length < 6 || values.length % 2) return "A polygon needs at least three corners, each: lat lon.";
  const points = [];
  for (let i = 0; i < values.length; i += 2) points.push([values[i], values[i + 1]]);
  if (!points.every(([a, b]) => lat(a) && lon(b))) return "Each corner needs a latitude and a longitude.";
  return { shape, points };
}

document.getElementById("add-area").addEventListener("click", () => {
  const area = typedArea();
  if (typeof area === "string") {
    showError(area);
    return;
  }
  showError("");
  addArea(area);
  const bounds = areaLayer(area).addTo(sketch).getBounds();
  sketch.clearLayers();
  map.fitBounds(bounds, { maxZoom: 15 });
});

// Searching ------------------------------------------------------------------------------

function searchContext() {
  return {
    purpose: form.purpose.value, reason: form.reason.value.trim(),
    case_number: form.case_number.value.trim() || null,
    offense_type: form.offense_type?.value || null,
  };
}

function legalBasis() {
  return { kind: form.basis_kind.value, number: form.basis_number.value.trim(),
    court: form.basis_court.value.trim() };
}

function buildBody(k, plate, approvalId) {
  const { since, until } = timeWindow();
  const params = { limit: 500, offset: 0 };
  if (plate) params.plate = plate;
  if (since) params.since = since;
  if (until) params.until = until;
  const ctx = searchContext();
  const body = { kind: k, params, purpose: ctx.purpose, case_number: ctx.case_number, reason: ctx.reason };
  if (ctx.offense_type) body.offense_type = ctx.offense_type;
  if (k === "stakeout") {
    body.stakeout = {
      areas: areas.map((a) => ({ ...a, since, until })),
      min_areas: Math.min(Math.max(Number(form.min_areas.value) || 1, 1), areas.length),
    };
  }
  if (k === "convoy") body.convoy = { window_seconds: 120, min_places: 2 };
  if (k === "locate") {
    body.legal_basis = legalBasis();
    if (approvalId) body.approval_id = approvalId;
  } else if (TRACKING.includes(k) && form.basis_number.value.trim() && form.basis_court.value.trim()) {
    // a timeline or convoy names its warrant where the data's law asks (Minnesota's, for a
    // warrant or court order); it is recorded in the search's audit entry
    body.legal_basis = legalBasis();
  }
  return body;
}

function problems(k, plate) {
  if (k !== "stakeout" && !plate) return "Enter a plate.";
  if (k === "stakeout" && !areas.length) return "Draw at least one area on the map, or add one by coordinates.";
  const { since, until } = timeWindow();
  if ((k !== "timeline") && (!since || !until)) return "Give both times: From and Until.";
  if (k === "locate" && !form.basis_number.value.trim()) return "Give the warrant or court-order number.";
  if (k === "locate" && !form.basis_court.value.trim()) return "Give the issuing court.";
  if (since && until && since > until) return "From must not be after Until.";
  if (!form.purpose.value) return "Choose a purpose.";
  if (form.offense_type && !form.offense_type.value) return "Choose the offense type.";
  if (!form.reason.value.trim()) return "Give the reason for this search.";
  return null;
}

// Results --------------------------------------------------------------------------------

function readMarker(read) {
  const marker = L.marker([read.lat, read.lon], { keyboard: true, title: `${read.plate} ${read.ts}`,
    alt: `Read of ${read.plate} at ${read.camera_id}` });
  marker.on("click", () => showDetail(read)); // Leaflet fires it for Enter on a focused marker too
  return marker;
}

function table(headers, rows) {
  const tbl = document.getElementById("ws-results");
  tbl.tHead.replaceChildren(el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h))));
  tbl.tBodies[0].replaceChildren(...rows);
}

function button(label, cls, onClick) {
  const b = el("button", { type: "button", class: cls }, label);
  b.addEventListener("click", onClick);
  return b;
}

function actions(plate, read) {
  return el("td", { class: "row-actions" },
    read ? button("Detail", "row-detail", () => showDetail(read)) : null, read ? " " : null,
    button("Timeline", "row-timeline", () => runFor("timeline", plate)), " ",
    button("Convoy", "row-convoy", () => runFor("convoy", plate)));
}

function place(r) {
  return typeof r.lat === "number" ? `${r.lat.toFixed(5)}, ${r.lon.toFixed(5)}` : "—";
}

function showDetail(read) {
  current = { ...current, detail: read };
  detail.hidden = false;
  document.getElementById("read-detail-title").textContent = `Read of ${read.plate}`;
  document.getElementById("read-facts").replaceChildren(facts(read));
  document.getElementById("read-images-box").replaceChildren();
  const page = new URLSearchParams({ plate: read.plate, ts: read.ts });
  document.getElementById("read-page").href = `/reads/${encodeURIComponent(read.read_id)}?${page}`;
  keepContext(searchContext());
  detail.focus();
}

document.getElementById("read-images").addEventListener("click", () => {
  const read = current?.detail;
  if (!read) return;
  const ctx = searchContext();
  if (!ctx.purpose || !ctx.reason) {
    showError("Choose a purpose and give a reason: viewing images is decided and logged too.");
    return;
  }
  showImages(document.getElementById("read-images-box"), read, ctx);
});

function byTime(a, b) {
  return a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0;
}

// Pattern of life ------------------------------------------------------------------------

/** A bar chart of ``counts`` under ``figure``: one list item per bar, each with its count
 * in words for screen readers; heights are set through the CSSOM (the page's policy
 * allows no inline style attribute). */
function barChart(figure, counts, labels, ticks, unit) {
  const most = Math.max(1, ...counts);
  const bars = counts.map((n, i) => {
    const bar = el("span", { class: "bar", "aria-hidden": "true" });
    bar.style.height = `${(n / most) * 5}rem`;
    return el("li", { "data-count": String(n), title: `${labels[i]}: ${n} ${unit}` },
      el("span", { class: "count", "aria-hidden": "true" }, n ? String(n) : ""), bar,
      el("span", { class: "tick", "aria-hidden": "true" }, ticks[i]),
      el("span", { class: "sr" }, `${labels[i]}: ${n} ${unit}`));
  });
  figure.querySelector(".bars").replaceChildren(...bars);
}

function renderPattern(page) {
  const pattern = page.pattern ?? { by_hour: [], by_weekday: [], places: [] };
  barChart(document.getElementById("by-hour"), pattern.by_hour,
    HOURS.map((h) => `${h}:00 to ${h}:59 UTC`), HOURS.map((h, i) => (i % 3 === 0 ? h : "")), "reads");
  barChart(document.getElementById("by-weekday"), pattern.by_weekday, WEEKDAYS,
    WEEKDAYS.map((d) => d.slice(0, 3)), "reads");
  patternBox.hidden = false;
  const places = [...(pattern.places ?? [])].sort((a, b) => b.reads - a.reads);
  const most = Math.max(1, ...places.map((p) => p.reads));
  places.filter((p) => typeof p.lat === "number").forEach((p) => {
    L.circleMarker([p.lat, p.lon], { radius: 6 + 12 * Math.sqrt(p.reads / most), color: "#7c3aed",
      fillColor: "#7c3aed", fillOpacity: 0.35, weight: 2, className: "locate-place" })
      .bindTooltip(tip(`${p.camera_id}: ${p.reads} read(s)`)).addTo(overlay);
    L.marker([p.lat, p.lon], { interactive: false, keyboard: false, icon: L.divIcon({
      className: "place-label", html: el("span", {}, `${p.camera_id} · ${p.reads}`), iconSize: null,
      iconAnchor: [-16, 10] }) }).addTo(overlay);
  });
  table(["Camera", "Place", "Reads"], places.map((p) => el("tr", {},
    el("td", {}, p.camera_id), el("td", {}, place(p)), el("td", {}, String(p.reads)))));
  return places.length;
}

const APPROVAL_TEXT = {
  pending: "waits for a supervisor's approval; it has not run and nothing about the reads was returned",
  approved: "was approved: run it once, with the window you choose",
  refused: "was refused; it may not run under this request",
  used: "was approved and has run; a new search needs a new approval",
  expired: "expired before it ran; ask again",
};

function showApproval(a) {
  approval = a;
  approvalBox.hidden = false;
  approvalBox.dataset.status = a.status;
  document.getElementById("locate-approval-title").textContent = a.status === "pending"
    ? "Waiting for a supervisor" : `Approval request: ${a.status}`;
  const decided = a.decided_by ? ` Decided by ${a.decided_by}${a.note ? `: ${a.note}` : ""}.` : "";
  document.getElementById("approval-text").textContent = `The pattern-of-life search for ${a.plate}`
    + ` (request ${a.id}) ${APPROVAL_TEXT[a.status] ?? a.status}.${decided}`;
  document.getElementById("approval-because").replaceChildren(
    ...(a.status === "pending" ? a.because ?? [] : []).map((b) => el("li", {}, b)));
  document.getElementById("approval-run").hidden = a.status !== "approved";
  document.getElementById("approval-check").hidden = !["pending", "approved"].includes(a.status);
}

async function checkApproval() {
  if (!approval) return;
  try {
    showApproval(await api(`/v1/approvals/${encodeURIComponent(approval.id)}`));
    showError("");
  } catch (error) {
    showError(`The request's status could not be read: ${describe(error)}`);
  }
}

/** Open a request from the approvals page: its plate, legal basis and context in the form. */
async function openApproval(id) {
  try {
    const a = await api(`/v1/approvals/${encodeURIComponent(id)}`);
    form.querySelector("input[name=kind][value=locate]").checked = true;
    kindChanged();
    form.plate.value = a.plate;
    form.basis_kind.value = a.legal_basis.kind;
    form.basis_number.value = a.legal_basis.number;
    form.basis_court.value = a.legal_basis.court;
    form.purpose.value = a.purpose;
    form.reason.value = a.reason;
    form.case_number.value = a.case_number ?? "";
    await offensesLoaded;
    if (a.offense_type) form.offense_type.value = a.offense_type;
    showApproval(a);
    approvalBox.focus();
  } catch (error) {
    showError(`The request could not be opened: ${describe(error)}`);
  }
}

document.getElementById("approval-check").addEventListener("click", checkApproval);
document.getElementById("approval-run").addEventListener("click", () => {
  if (approval?.status === "approved") runFor("locate", approval.plate, approval.id);
});

function kindChanged() {
  basisBox.hidden = !TRACKING.includes(kind());
}

for (const radio of form.querySelectorAll("input[name=kind]")) radio.addEventListener("change", kindChanged);

function render(k, plate, page) {
  detail.hidden = true;
  patternBox.hidden = k !== "locate";
  clusters.clearLayers();
  overlay.clearLayers();
  const reads = [...(page.results ?? [])].sort(byTime);
  clusters.addLayers(reads.filter((r) => typeof r.lat === "number").map(readMarker));
  let count = reads.length;
  let unit = "result(s)";
  if (k === "timeline") {
    const path = (page.path ?? []).filter((p) => typeof p.lat === "number");
    if (path.length) {
      L.polyline(path.map((p) => [p.lat, p.lon]), { color: "#1d4ed8", weight: 4, opacity: 0.8,
        className: "timeline-path" }).addTo(overlay);
      path.forEach((p, i) => {
        L.circleMarker([p.lat, p.lon], { radius: 9, color: "#1d4ed8", fillColor: "#fff", fillOpacity: 1,
          weight: 2 }).addTo(overlay);
        const text = `${i + 1} · ${p.camera_id} · ${p.first_seen.slice(5, 16).replace("T", " ")}`;
        // Stops at one camera share a place: their labels stack below one another.
        const before = path.slice(0, i).filter((q) => q.camera_id === p.camera_id).length;
        L.marker([p.lat, p.lon], { interactive: false, keyboard: false, icon: L.divIcon({
          className: "stop-label", html: el("span", {}, text), iconSize: null,
          iconAnchor: [-14, 10 - 20 * before] }) }).addTo(overlay);
      });
    }
    table(["#", "Time (UTC)", "Plate", "Camera", "Place", "Vehicle", ""], reads.map((r, i) => el("tr", {},
      el("td", {}, String(i + 1)), el("td", { class: "time" }, r.ts.replace("T", " ").replace("Z", "")),
      el("td", { class: "plate" }, r.plate),
      el("td", {}, r.camera_id), el("td", {}, place(r)),
      el("td", {}, [r.vehicle_color, r.vehicle_make, r.vehicle_model].filter(Boolean).join(" ")),
      actions(r.plate, r))));
  } else if (k === "convoy") {
    const companions = page.companions ?? [];
    count = companions.length;
    table(["Plate", "Places together", "Times together", "First seen", "Last seen", ""],
      companions.map((c) => el("tr", {}, el("td", { class: "plate" }, c.plate),
        el("td", {}, String(c.places)), el("td", {}, String(c.co_occurrences)),
        el("td", {}, c.first_seen ?? ""), el("td", {}, c.last_seen ?? ""), actions(c.plate))));
  } else if (k === "locate") {
    const places = renderPattern(page);
    count = page.total ?? 0;
    unit = `read(s) at ${places} place(s)`;
  } else {
    const plates = page.stakeout ?? [];
    count = plates.length;
    table(["Plate", "Areas matched", "Reads", ""], plates.map((s) => el("tr", {},
      el("td", { class: "plate" }, s.plate),
      el("td", {}, s.areas_matched.map((i) => i + 1).join(", ")),
      el("td", {}, String(s.reads)), actions(s.plate))));
  }
  const caption = { timeline: `Timeline of ${plate}: reads in time order`,
    convoy: `Vehicles travelling with ${plate}`, stakeout: "Plates seen in the areas",
    locate: `Pattern of life of ${plate}: places seen` }[k];
  document.querySelector("#ws-results caption").textContent = caption;
  const remote = page.remote_owners ?? [];
  const denied = (page.owners ?? []).filter((o) => !o.allowed).length
    + remote.filter((o) => o.status === "denied").length;
  const away = remote.filter((o) => o.status === "unavailable").length;
  status.textContent = `${caption}: ${count} ${unit}; audit entry ${page.audit_index ?? "—"}`
    + (denied ? `; ${denied} owner(s) refused this search` : "")
    + (away ? `; ${away} owner(s) on partner nodes did not answer` : "");
  current = { kind: k, plate, count, page };
  const bounds = L.featureGroup([...clusters.getLayers(), ...overlay.getLayers()]).getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 15, padding: [30, 30] });
}

async function runFor(k, plate, approvalId) {
  showError("");
  const problem = problems(k, plate);
  if (problem) {
    showError(problem);
    return;
  }
  form.querySelector(`input[name=kind][value=${k}]`).checked = true;
  kindChanged();
  if (plate) form.plate.value = plate;
  status.textContent = "Searching…";
  current = { kind: k, plate, pending: true };
  try {
    const page = await api("/v1/searches", { method: "POST", body: buildBody(k, plate, approvalId) });
    keepContext(searchContext());
    if (k === "locate" && page.waits_for !== undefined) {
      // HTTP 202: the search did not run; it waits for a supervisor.
      clusters.clearLayers();
      overlay.clearLayers();
      patternBox.hidden = true;
      table([], []);
      showApproval(page);
      status.textContent = `The search waits for a supervisor's approval (request ${page.id}).`;
      current = { kind: k, plate, approval: page };
      approvalBox.focus();
      return;
    }
    if (approvalId) await checkApproval();
    else if (k !== "locate") approvalBox.hidden = true;
    render(k, plate, page);
    if (k === "locate" && page.approval) {
      // A partner's owner makes it wait: this node's part ran and is shown; the approval
      // asked here lets the partner answer when the search is run again with it.
      showApproval(page.approval);
      document.getElementById("approval-text").textContent = "Part of the pattern-of-life search for "
        + `${page.approval.plate} (request ${page.approval.id}) waits for a supervisor's approval:`
        + " the partners' owners listed below make it wait. What the others allow is shown;"
        + " once approved, run it again from here.";
    }
  } catch (error) {
    status.textContent = "";
    current = { kind: k, plate, error: describe(error) };
    showError(describe(error));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  runFor(kind(), form.plate.value.trim().toUpperCase());
});

const until = new Date();
until.setUTCSeconds(0, 0);
if (!form.until.value) form.until.value = localInput(until);
if (!form.since.value) form.since.value = localInput(new Date(until.getTime() - 3 * 86400000));
const kept = context();
if (kept) {
  if (kept.purpose) form.purpose.value = kept.purpose;
  if (kept.reason) form.reason.value = kept.reason;
  if (kept.case_number) form.case_number.value = kept.case_number;
}
const offensesLoaded = loadOffenses().then(() => {
  if (kept?.offense_type) form.offense_type.value = kept.offense_type;
});
kindChanged();
if (!token()) document.getElementById("need-login").hidden = false;
else {
  loadBasemap();
  const asked = new URLSearchParams(window.location.search).get("approval");
  if (asked) openApproval(asked);
}
