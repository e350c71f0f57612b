// A read's detail, shared by the map workspace and the read page: its facts, and its plate
// crop and overview through GET /v1/reads/{id}/images/{kind}, which decides `view_image`
// for every owner and logs the view before it answers.
import { ApiError, describe, token } from "/static/api.js";
import { agencyIndex, el } from "/static/format.js";

const CONTEXT_KEY = "plateledger.workspace.context";

/** The purpose, case, offense and reason of the searches being made (kept for the tab). */
export function keepContext(context) {
  sessionStorage.setItem(CONTEXT_KEY, JSON.stringify(context));
}

export function context() {
  try {
    return JSON.parse(sessionStorage.getItem(CONTEXT_KEY) ?? "null");
  } catch {
    return null;
  }
}

function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** One image of ``read`` as a data: URL (the page allows no other image source). */
export async function image(read, kind, ctx) {
  const query = new URLSearchParams({ plate: read.plate, purpose: ctx.purpose, reason: ctx.reason });
  if (ctx.case_number) query.set("case_number", ctx.case_number);
  const headers = { Accept: "image/jpeg" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(`/v1/reads/${encodeURIComponent(read.read_id)}/images/${kind}?${query}`,
      { headers, cache: "no-store", credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "network", "the server could not be reached; check the connection");
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    throw new ApiError(response.status, body?.error?.code ?? "http_error",
      body?.error?.message ?? `the server answered ${response.status}`, body?.error?.details);
  }
  return dataUrl(await response.blob());
}

export function vehicleText(read) {
  return [read.vehicle_color, read.vehicle_make, read.vehicle_model, read.vehicle_type]
    .filter(Boolean).join(" ") || "—";
}

/** The facts of ``read`` as a description list. */
export function facts(read) {
  const rows = [
    ["Plate", `${read.plate}${read.region ? ` (${read.region})` : ""}`],
    ["Time (UTC)", read.ts],
    ["Camera", read.camera_id],
    ["Place", typeof read.lat === "number" ? `${read.lat.toFixed(5)}, ${read.lon.toFixed(5)}` : "—"],
    ["Vehicle", vehicleText(read)],
    ["Confidence", typeof read.confidence === "number" ? read.confidence.toFixed(2) : "—"],
    ["Owner agency", agencyIndex().byId(read.owner_id)],
  ];
  return el("dl", { class: "facts" }, ...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

/** Fill ``box`` with both images of ``read``, each decided and logged on its own. */
export async function showImages(box, read, ctx) {
  box.replaceChildren(el("p", { role: "status" }, "Asking for the images…"));
  const parts = await Promise.all(["plate", "overview"].map(async (kind) => {
    const label = kind === "plate" ? "Plate crop" : "Overview";
    try {
      const src = await image(read, kind, ctx);
      return el("figure", { class: `read-image ${kind}` },
        el("img", { src, alt: `${label} of ${read.plate} at ${read.camera_id}` }),
        el("figcaption", {}, label));
    } catch (error) {
      return el("p", { class: "message error", role: "alert" }, `${label}: ${describe(error)}`);
    }
  }));
  box.replaceChildren(...parts);
}
