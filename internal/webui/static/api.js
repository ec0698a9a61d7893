// api.js talks to Copydesk's JSON API with the browser session: the
// session cookie goes along by itself (same origin); unsafe methods copy
// the CSRF cookie into the X-CSRF-Token header.

const CSRF_COOKIE = "__Host-copydesk_csrf";

// ApiError is an answer with an error body {"error":{code,message,request_id}}.
export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

let onUnauthorized = () => {};

// setUnauthorizedHandler sets what happens on a 401 (back to the login).
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === CSRF_COOKIE) return decodeURIComponent(v.join("="));
  }
  return "";
}

// request sends a JSON request and returns {status, body, headers}; an
// error status throws ApiError with the API's code and message.
// With opts.type, body is sent as it is (a File, Blob or string) with that
// Content-Type instead of as JSON.
export async function request(method, path, body, { text = false, type = "" } = {}) {
  const headers = { Accept: text ? "text/plain" : "application/json" };
  if (body !== undefined) headers["Content-Type"] = type || "application/json";
  if (!["GET", "HEAD"].includes(method)) headers["X-CSRF-Token"] = csrfToken();
  let resp;
  try {
    resp = await fetch(path, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : type ? body : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "network", "the server cannot be reached (" + e.message + ")", "");
  }
  const raw = await resp.text();
  if (!resp.ok) {
    let code = "http_" + resp.status, message = raw.slice(0, 300) || resp.statusText, requestId = resp.headers.get("X-Request-ID") || "";
    try {
      const e = JSON.parse(raw).error;
      if (e) { code = e.code || code; message = e.message || message; requestId = e.request_id || requestId; }
    } catch (_) { /* not JSON */ }
    if (resp.status === 401 && path !== "/v1/auth/login") onUnauthorized();
    throw new ApiError(resp.status, code, message, requestId);
  }
  let data = raw;
  if (!text && raw) {
    try { data = JSON.parse(raw); } catch (_) { throw new ApiError(resp.status, "bad_response", "the server sent something that is not JSON", ""); }
  }
  return { status: resp.status, body: data, headers: resp.headers };
}

export const get = (path, opts) => request("GET", path, undefined, opts);
export const post = (path, body) => request("POST", path, body === undefined ? {} : body);
export const put = (path, body) => request("PUT", path, body);

// One EventSource per page: opening a stream closes the previous one, and
// the router closes it when the page changes.
let current = null;

// stream follows a job's events. handlers maps event types to functions of
// (data, event); "error" gets a message when the stream cannot be opened.
// It closes itself after the done event. Reconnects (with Last-Event-ID)
// are the browser's.
export function stream(url, handlers) {
  closeStream();
  const es = new EventSource(url);
  current = es;
  const types = ["job.queued", "job.started", "job.retrying", "job.interrupted", "task.started", "task.restarted",
    "delta", "task.segments", "task.result", "task.failed", "done", "shutdown"];
  for (const t of types) {
    es.addEventListener(t, (ev) => {
      let data = {};
      try { data = JSON.parse(ev.data); } catch (_) { /* keep {} */ }
      if (handlers[t]) handlers[t](data, ev);
      if (handlers.any) handlers.any(t, data, ev);
      if (t === "done") { es.close(); if (current === es) current = null; }
    });
  }
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED && handlers.error) {
      handlers.error(new ApiError(0, "stream", "the event stream closed; reload the job to see its result", ""));
    } else if (handlers.reconnecting) {
      handlers.reconnecting();
    }
  };
  return es;
}

// closeStream closes the page's stream, if any.
export function closeStream() {
  if (current) { current.close(); current = null; }
}
