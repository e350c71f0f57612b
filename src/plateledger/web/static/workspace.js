// The investigator's map workspace: plate timelines, convoys and stakeouts over POST
// /v1/searches, drawn on a Leaflet map served by this server (no tiles from outside).
import { api, describe, token } from "/static/api.js";
import { el } from "/static/format.js";

const L = window.L;
const form = document.getElementById("ws-form");
const errorBox = document.getElementById("ws-error");
const status = document.getElementById("ws-status");
const areaList = document.getElementById("area-list");
const map = L.map("map", { attributionControl: false, keyboard: true }).setView([39.5, -98.35], 4);
const basemap = L.layerGroup().addTo(map);
const clusters = L.markerClusterGroup().addTo(map);
const overlay = L.layerGroup().addTo(map);
const drawn = L.layerGroup().addTo(map);
const areas = [];
let drawing = null;

async function loadBasemap() {
  try {
    const data = await api("/v1/basemap");
    const layer = L.geoJSON(data, {
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: 3, color: "#555" }),
      style: (feature) => (feature.geometry.type === "Polygon"
        ? { color: "#7a869a", weight: 1, fillOpacity: 0.04 } : { color: "#9aa5b1", weight: 2 }),
    }).addTo(basemap);
    if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
  } catch (error) {
    status.textContent = `The basemap could not be loaded: ${describe(error)}`;
  }
}

function kind() {
  return form.querySelector("input[name=kind]:checked").value;
}

function isoUtc(value) {
  return value ? `${value.length === 16 ? `${value}:00` : value}Z` : null;
}

function timeWindow() {
  const since = isoUtc(form.since.value);
  const until = isoUtc(form.until.value);
  return { since, until };
}

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
}

function renderAreas() {
  areaList.replaceChildren(...areas.map((a, i) => el("li", {},
    a.shape === "circle"
      ? `Area ${i + 1}: circle ${a.meters} m around ${a.lat.toFixed(5)}, ${a.lon.toFixed(5)}`
      : `Area ${i + 1}: box ${a.south.toFixed(5)}, ${a.west.toFixed(5)} – ${a.north.toFixed(5)}, ${a.east.toFixed(5)}`)));
  form.min_areas.max = String(Math.max(areas.length, 1));
}

function startDrawing(shape) {
  drawing = { shape, first: null };
  map.getContainer().classList.add("drawing");
  status.textContent = shape === "circle" ? "Click the centre of the circle." : "Click the first corner.";
}

map.on("click", (event) => {
  if (!drawing) return;
  if (!drawing.first) {
    drawing.first = event.latlng;
    status.textContent = drawing.shape === "circle" ? "Click the edge of the circle." : "Click the opposite corner.";
    return;
  }
  const a = drawing.first;
  const b = event.latlng;
  if (drawing.shape === "circle") {
    const meters = Math.max(1, Math.round(map.distance(a, b)));
    areas.push({ shape: "circle", lat: a.lat, lon: a.lng, meters });
    L.circle(a, { radius: meters, color: "#b3261e" }).addTo(drawn);
  } else {
    const bounds = L.latLngBounds(a, b);
    areas.push({ shape: "box", south: bounds.getSouth(), west: bounds.getWest(),
      north: bounds.getNorth(), east: bounds.getEast() });
    L.rectangle(bounds, { color: "#b3261e" }).addTo(drawn);
  }
  drawing = null;
  map.getContainer().classList.remove("drawing");
  status.textContent = `${areas.length} area(s) drawn.`;
  renderAreas();
});

document.getElementById("draw-circle").addEventListener("click", () => startDrawing("circle"));
document.getElementById("draw-box").addEventListener("click", () => startDrawing("box"));
document.getElementById("clear-areas").addEventListener("click", () => {
  areas.length = 0;
  drawn.clearLayers();
  renderAreas();
});

function buildBody(k, plate) {
  const { since, until } = timeWindow();
  const params = { limit: 250, offset: 0 };
  if (plate) params.plate = plate;
  if (since) params.since = since;
  if (until) params.until = until;
  const body = {
    kind: k, params, purpose: form.purpose.value,
    case_number: form.case_number.value.trim() || null, reason: form.reason.value.trim(),
  };
  if (k === "stakeout") {
    body.stakeout = {
      areas: areas.map((a) => ({ ...a, since, until })),
      min_areas: Math.min(Number(form.min_areas.value) || 1, areas.length),
    };
  }
  if (k === "convoy") body.convoy = { window_seconds: 120, min_places: 2 };
  return body;
}

function problems(k, plate) {
  if (k !== "stakeout" && !plate) return "Enter a plate.";
  if (k === "stakeout" && !areas.length) return "Draw at least one area on the map.";
  if (!form.purpose.value) return "Choose a purpose.";
  if (!form.reason.value.trim()) return "Give the reason for this search.";
  return null;
}

function readMarker(read) {
  const marker = L.marker([read.lat, read.lon], { keyboard: true, title: read.plate });
  marker.bindPopup(() => el("div", {},
    el("strong", {}, read.plate), el("br"), read.ts, el("br"), `camera ${read.camera_id}`));
  return marker;
}

function table(headers, rows) {
  const tbl = document.getElementById("ws-results");
  tbl.tHead.replaceChildren(el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h))));
  tbl.tBodies[0].replaceChildren(...rows);
}

function actions(plate) {
  const timeline = el("button", { type: "button", class: "row-timeline" }, "Timeline");
  timeline.addEventListener("click", () => runFor("timeline", plate));
  const convoy = el("button", { type: "button", class: "row-convoy" }, "Convoy");
  convoy.addEventListener("click", () => runFor("convoy", plate));
  return el("td", {}, timeline, " ", convoy);
}

function render(k, page) {
  clusters.clearLayers();
  overlay.clearLayers();
  const reads = (page.rows ?? []).filter((r) => typeof r.lat === "number");
  clusters.addLayers(reads.map(readMarker));
  if (k === "timeline") {
    const path = page.path ?? [];
    if (path.length) L.polyline(path.map((p) => [p.lat, p.lon]), { color: "#1d4ed8" }).addTo(overlay);
    table(["Time (UTC)", "Plate", "Camera", "Place", ""], (page.rows ?? []).map((r) => el("tr", {},
      el("td", {}, r.ts), el("td", { class: "plate" }, r.plate), el("td", {}, r.camera_id),
      el("td", {}, typeof r.lat === "number" ? `${r.lat.toFixed(5)}, ${r.lon.toFixed(5)}` : "—"),
      actions(r.plate))));
  } else if (k === "convoy") {
    table(["Plate", "Places", "Together", "First seen", "Last seen", ""],
      (page.companions ?? []).map((c) => el("tr", {}, el("td", { class: "plate" }, c.plate),
        el("td", {}, String(c.places)), el("td", {}, String(c.co_occurrences)),
        el("td", {}, c.first_seen ?? ""), el("td", {}, c.last_seen ?? ""), actions(c.plate))));
  } else {
    table(["Plate", "Areas matched", "Reads", ""], (page.stakeout ?? []).map((s) => el("tr", {},
      el("td", { class: "plate" }, s.plate),
      el("td", {}, s.areas_matched.map((i) => i + 1).join(", ")),
      el("td", {}, String(s.reads)), actions(s.plate))));
  }
  const denied = (page.owners?.denied ?? []).length;
  status.textContent = `${k}: ${page.total ?? 0} result(s); audit entry ${page.audit_index ?? "—"}`
    + (denied ? `; ${denied} owner(s) refused this search` : "");
  const bounds = L.featureGroup([...clusters.getLayers(), ...overlay.getLayers()]).getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 15 });
}

async function runFor(k, plate) {
  showError("");
  const problem = problems(k, plate);
  if (problem) {
    showError(problem);
    return;
  }
  status.textContent = "Searching…";
  try {
    const page = await api("/v1/searches", { method: "POST", body: buildBody(k, plate) });
    render(k, page);
  } catch (error) {
    status.textContent = "";
    showError(describe(error));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  runFor(kind(), form.plate.value.trim());
});

if (!token()) document.getElementById("need-login").hidden = false;
else loadBasemap();
