// Exports: CSV and GeoJSON files built in the browser from the reads `/v1/exports` gave.

const COLUMNS = [
  ["read_id", (r) => r.read_id],
  ["time_utc", (r) => r.ts],
  ["plate", (r) => r.plate],
  ["plate_raw", (r) => r.plate_raw],
  ["region", (r) => r.region],
  ["owner_id", (r) => r.owner_id],
  ["owner_agency", (r, owner) => owner(r.owner_id)],
  ["origin_state", (r) => r.origin_state],
  ["camera_id", (r) => r.camera_id],
  ["lat", (r) => r.lat],
  ["lon", (r) => r.lon],
  ["heading", (r) => r.heading],
  ["confidence", (r) => r.confidence],
  ["distance", (r) => r.distance],
  ["candidate_confidence", (r) => r.candidate_confidence],
  ["vehicle_color", (r) => r.vehicle_color],
  ["vehicle_make", (r) => r.vehicle_make],
  ["vehicle_model", (r) => r.vehicle_model],
  ["vehicle_type", (r) => r.vehicle_type],
];

// Text that a spreadsheet would run as a formula is prefixed with an apostrophe.
function cell(value) {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(results, owner) {
  const lines = [COLUMNS.map(([name]) => name).join(",")];
  for (const read of results) {
    lines.push(COLUMNS.map(([, get]) => cell(get(read, owner))).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

export function toGeoJson(results, owner, meta) {
  const features = results.map((read) => {
    const properties = Object.fromEntries(
      COLUMNS.filter(([name]) => name !== "lat" && name !== "lon")
        .map(([name, get]) => [name, get(read, owner) ?? null]),
    );
    const located = typeof read.lat === "number" && typeof read.lon === "number";
    return {
      type: "Feature",
      id: read.read_id,
      geometry: located ? { type: "Point", coordinates: [read.lon, read.lat] } : null,
      properties,
    };
  });
  return JSON.stringify({ type: "FeatureCollection", plateledger: meta, features }, null, 2);
}

export function download(filename, mime, text) {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
