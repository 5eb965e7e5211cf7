// @ts-check
// Fetch wrapper: the staff token from sessionStorage, problem+json errors as ApiError.

const TOKEN_KEY = "slotwise.token";

/**
 * @typedef {object} Problem RFC 9457 problem+json, with the conflicts the booking rules name
 * @property {string} [title]
 * @property {string} [detail]
 * @property {{message?: string}[]} [conflicts]
 * @property {{message?: string}[]} [violations]
 */

export class ApiError extends Error {
  /** @param {number} status @param {Problem} problem */
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  /** @param {string} value */
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** @type {() => void} */
let onUnauthorized = () => {};
/** @param {() => void} handler */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

/** @param {string} email @param {string} password */
export async function login(email, password) {
  const body = new URLSearchParams({ username: email, password });
  const resp = await fetch("/api/auth/token", { method: "POST", body });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new ApiError(resp.status, data);
  token.set(data.access_token);
  return data;
}

/**
 * api("/api/x", {method, json, headers}) -> {data, etag, status}; a refusal throws ApiError.
 * @param {string} path
 * @param {{method?: string, json?: unknown, headers?: Record<string, string>}} [options]
 * @returns {Promise<{data: any, etag: string | null, status: number}>}
 */
export async function api(path, { method = "GET", json, headers = {} } = {}) {
  /** @type {Record<string, string>} */
  const sent = { ...headers };
  /** @type {RequestInit} */
  const init = { method, headers: sent };
  const bearer = token.get();
  if (bearer) sent.Authorization = `Bearer ${bearer}`;
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ApiError(0, { detail: `The server cannot be reached (${why}).` });
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

/** @param {string} path @returns {Promise<any>} */
export async function getJson(path) {
  return (await api(path)).data;
}

/**
 * Every page of a paginated list.
 * @param {string} path @param {number} [pageSize] @param {number} [cap]
 * @returns {Promise<any[]>}
 */
export async function getAll(path, pageSize = 500, cap = 5000) {
  /** @type {unknown[]} */
  const items = [];
  const sep = path.includes("?") ? "&" : "?";
  for (let offset = 0; offset < cap; offset += pageSize) {
    const page = await getJson(`${path}${sep}limit=${pageSize}&offset=${offset}`);
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) break;
  }
  return items;
}

/**
 * A person-readable message for a failed call, naming each conflict the server listed.
 * @param {unknown} err
 */
export function explain(err) {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message || String(err) : String(err);
  const p = err.problem || {};
  const list = p.conflicts || p.violations || [];
  const named = list.flatMap((c) => (c.message ? [c.message] : []));
  const base = p.detail || err.message;
  if (named.length && !named.every((m) => base.includes(m))) return `${base} ${named.join(" ")}`;
  return base;
}
