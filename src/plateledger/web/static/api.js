// Calls to the JSON API with the signed-in user's token, and its one error shape.
const TOKEN_KEY = "plateledger.token";
const EXPIRES_KEY = "plateledger.expires_at";

export class ApiError extends Error {
  constructor(status, code, message, details, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

export function token() {
  const value = sessionStorage.getItem(TOKEN_KEY);
  const expires = Date.parse(sessionStorage.getItem(EXPIRES_KEY) ?? "");
  if (value && !Number.isNaN(expires) && expires <= Date.now()) {
    forgetToken();
    return null;
  }
  return value;
}

export function keepToken(accessToken, expiresAt) {
  sessionStorage.setItem(TOKEN_KEY, accessToken);
  sessionStorage.setItem(EXPIRES_KEY, expiresAt ?? "");
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EXPIRES_KEY);
}

// `{"error": {"code", "message", "details"}}`, or something else from a proxy.
async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = body?.error ?? {};
  const retry = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  return new ApiError(
    response.status,
    error.code ?? "http_error",
    error.message ?? `the server answered ${response.status} ${response.statusText}`,
    error.details ?? null,
    Number.isNaN(retry) ? null : retry,
  );
}

/** Fetch `path` from this server; JSON in and out; throws ApiError on any failure. */
export async function api(path, { method = "GET", body, auth = true, text = false } = {}) {
  const headers = { Accept: text ? "text/plain" : "application/json" };
  const bearer = auth ? token() : null;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin", cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "the server could not be reached; check the connection");
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && bearer) forgetToken();
    throw error;
  }
  if (response.status === 204) return null;
  return text ? response.text() : response.json();
}

/** A sentence for the user: the API's message, and each bad field. */
export function describe(error) {
  if (!(error instanceof ApiError)) return String(error?.message ?? error);
  const fields = Array.isArray(error.details)
    ? error.details
      .filter((d) => d && typeof d === "object" && "message" in d)
      .map((d) => (d.field ? `${d.field}: ${d.message}` : d.message))
    : [];
  return fields.length ? `${error.message} — ${fields.join("; ")}` : error.message;
}
