// Fetch wrapper: the staff token from sessionStorage, problem+json errors as ApiError.

const TOKEN_KEY = "slotwise.token";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

let onUnauthorized = () => {};
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export async function login(email, password) {
  const body = new URLSearchParams({ username: email, password });
  const resp = await fetch("/api/auth/token", { method: "POST", body });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new ApiError(resp.status, data);
  token.set(data.access_token);
  return data;
}

// api("/api/x", {method, json, headers}) -> {data, etag, status}
export async function api(path, { method = "GET", json, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  const bearer = token.get();
  if (bearer) init.headers.Authorization = `Bearer ${bearer}`;
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { detail: `The server cannot be reached (${err.message}).` });
  }
  const text = await resp.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (resp.status === 401) onUnauthorized();
  if (!resp.ok) throw new ApiError(resp.status, data || {});
  return { data, etag: resp.headers.get("ETag"), status: resp.status };
}

export async function getJson(path) {
  return (await api(path)).data;
}

// Every page of a paginated list.
export async function getAll(path, pageSize = 500, cap = 5000) {
  const items = [];
  const sep = path.includes("?") ? "&" : "?";
  for (let offset = 0; offset < cap; offset += pageSize) {
    const page = await getJson(`${path}${sep}limit=${pageSize}&offset=${offset}`);
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) break;
  }
  return items;
}

// A person-readable message for a failed call, naming each conflict the server listed.
export function explain(err) {
  if (!(err instanceof ApiError)) return String(err.message || err);
  const p = err.problem || {};
  const list = p.conflicts || p.violations || [];
  const named = list.map((c) => c.message).filter(Boolean);
  const base = p.detail || err.message;
  if (named.length && !named.every((m) => base.includes(m))) return `${base} ${named.join(" ")}`;
  return base;
}
