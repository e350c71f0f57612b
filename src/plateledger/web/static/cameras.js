// An agency administrator's cameras: GET /v1/admin/cameras as a list and on a map.
import { api, describe, token } from "/static/api.js";
import { el, tip } from "/static/format.js";

const L = window.L;
const errorBox = document.getElementById("cam-error");
const status = document.getElementById("cam-status");
const body = document.querySelector("#camera-table tbody");
const map = L.map("camera-map", { attributionControl: false, keyboard: true }).setView([37.59, -122.04], 12);
const markers = new Map();

function select(cameraId) {
  for (const row of body.rows) row.classList.toggle("selected", row.dataset.camera === cameraId);
  const marker = markers.get(cameraId);
  if (marker) {
    map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15), { animate: false });
    marker.openTooltip();
  }
}

function facing(heading) {
  if (typeof heading !== "number") return "—";
  const names = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
  return `${names[Math.round(heading / 45) % 8]} (${Math.round(heading)}°)`;
}

async function load() {
  let cameras;
  try {
    cameras = await api("/v1/admin/cameras");
  } catch (error) {
    errorBox.textContent = error.status === 403
      ? `Only your agency's administrators see its cameras: ${describe(error)}`
      : describe(error);
    errorBox.hidden = false;
    return;
  }
  body.replaceChildren(...cameras.map((c) => {
    const place = typeof c.lat === "number" ? `${c.lat.toFixed(5)}, ${c.lon.toFixed(5)}` : "moves (mobile)";
    const show = el("button", { type: "button", class: "link" }, c.camera_id);
    show.addEventListener("click", () => select(c.camera_id));
    return el("tr", { "data-camera": c.camera_id }, el("td", {}, show, c.name ? ` ${c.name}` : ""),
      el("td", {}, c.kind), el("td", {}, place), el("td", {}, facing(c.heading)),
      el("td", {}, c.active ? "yes" : "no"));
  }));
  for (const c of cameras) {
    if (typeof c.lat !== "number") continue;
    const marker = L.circleMarker([c.lat, c.lon], { radius: 6, color: c.active ? "#0b5394" : "#888",
      fillOpacity: 0.7 }).bindTooltip(tip(`${c.camera_id} · ${facing(c.heading)}`)).addTo(map);
    marker.on("click", () => select(c.camera_id));
    markers.set(c.camera_id, marker);
  }
  const fixed = [...markers.values()];
  if (fixed.length) map.fitBounds(L.featureGroup(fixed).getBounds(), { padding: [20, 20], animate: false });
  status.textContent = `${cameras.length} camera(s), ${fixed.length} at a fixed place.`;
}

if (!token()) document.getElementById("need-login").hidden = false;
else load();
