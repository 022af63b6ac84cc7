// REST client for /api/v1: session cookie + X-CSRF-Token on every non-GET request.

const BASE = "/api/v1";
const CSRF_KEY = "sohoa:csrf";

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

let csrfToken = sessionStorage.getItem(CSRF_KEY);
let onUnauthorized = null;

export function setCsrf(token) {
  csrfToken = token || null;
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export async function request(method, path, body, { raw = false, quiet401 = false } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") {
    if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
  }
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(BASE + path, init);
  if (raw && res.ok) return res;
  let data = null;
  if (res.status !== 204) {
    const text = await res.text();
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { error: { code: "bad_response", message: text.slice(0, 200) } };
    }
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    if (res.status === 401 && !quiet401 && onUnauthorized) onUnauthorized();
    const error = new ApiError(res.status, err.code || "error", err.message, data);
    error.retryAfter = Number(res.headers.get("Retry-After")) || null; // seconds, on a 429
    throw error;
  }
  return data;
}

export const api = {
  get: (path, opts) => request("GET", path, undefined, opts),
  post: (path, body, opts) => request("POST", path, body ?? {}, opts),
  patch: (path, body, opts) => request("PATCH", path, body, opts),
  del: (path, opts) => request("DELETE", path, undefined, opts),

  login: (username, password) => request("POST", "/session", { username, password }, { quiet401: true }),
  whoami: () => request("GET", "/session", undefined, { quiet401: true }),
  logout: () => request("DELETE", "/session", undefined, { quiet401: true }),

  ledgers: (params = {}) => request("GET", "/ledgers?" + new URLSearchParams({ per_page: 200, ...params })),
  ledger: (id) => request("GET", `/ledgers/${enc(id)}`),
  ledgerRecords: (id, params = {}) =>
    request("GET", `/ledgers/${enc(id)}/records?` + new URLSearchParams({ per_page: 200, ...params })),
  pageImageUrl: (ledgerId, page, size) =>
    `${BASE}/ledgers/${enc(ledgerId)}/pages/${page}/image` + (size ? `?size=${size}` : ""),

  nextRecord: (ledgerId, after) => {
    const q = new URLSearchParams({ ledger: ledgerId });
    if (after) q.set("after", after);
    return request("GET", `/records/next?${q}`);
  },
  record: (id) => request("GET", `/records/${enc(id)}`),
  patchRecord: (id, version, fields) => request("PATCH", `/records/${enc(id)}`, { version, fields }),
  confirm: (id, version) => request("POST", `/records/${enc(id)}/confirm`, { version }),
  flag: (id, version, reason) => request("POST", `/records/${enc(id)}/flag`, { version, reason }),
  review: (id, version, decision, note) =>
    request("POST", `/records/${enc(id)}/review`, { version, decision, note: note || null }),
  history: (id) => request("GET", `/records/${enc(id)}/history`),

  register: (slug) => request("GET", `/registers/${enc(slug)}`),
  // POST: what the clerk types (names, addresses) stays out of URLs and access logs.
  suggest: (kind, q, limit = 8) => request("POST", "/suggest", { kind, q, limit }),
  stats: () => request("GET", "/stats"),

  // Uploads, retries and export jobs (upload.js, book.js).
  upload: (form, onProgress) => uploadForm("/ledgers", form, onProgress),
  retryPage: (ledgerId, page) => request("POST", `/ledgers/${enc(ledgerId)}/pages/${page}/retry`, {}),
  retryFailed: (ledgerId) => request("POST", `/ledgers/${enc(ledgerId)}/retry-failed`, {}),
  startExport: (ledgerId, body) => request("POST", `/ledgers/${enc(ledgerId)}/exports`, body),
  exports: (ledgerId) => request("GET", `/ledgers/${enc(ledgerId)}/exports`),
  exportJob: (jobId) => request("GET", `/exports/${enc(jobId)}`),
};

/**
 * POST a multipart form with XMLHttpRequest, whose upload events tell the bytes sent:
 * onProgress(loaded, total). Resolves {status, data}; rejects with an ApiError on 4xx/5xx.
 */
export function uploadForm(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", BASE + path);
    xhr.setRequestHeader("Accept", "application/json");
    if (csrfToken) xhr.setRequestHeader("X-CSRF-Token", csrfToken);
    xhr.upload.addEventListener("progress", (ev) => {
      if (onProgress && ev.lengthComputable) onProgress(ev.loaded, ev.total);
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network", "Không kết nối được máy chủ")));
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = { error: { code: "bad_response", message: xhr.responseText.slice(0, 200) } };
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve({ status: xhr.status, data });
        return;
      }
      const err = (data && data.error) || {};
      if (xhr.status === 401 && onUnauthorized) onUnauthorized();
      reject(new ApiError(xhr.status, err.code || "error", err.message, data));
    });
    xhr.send(form);
  });
}

function enc(s) {
  return encodeURIComponent(String(s));
}

/** All pages of a paginated listing (the API caps per_page). */
export async function fetchAll(fetchPage) {
  const items = [];
  for (let page = 1; page < 1000; page++) {
    const data = await fetchPage(page);
    items.push(...data.items);
    if (items.length >= data.total || data.items.length === 0) break;
  }
  return items;
}
