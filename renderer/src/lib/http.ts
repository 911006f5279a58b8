/**
 * Result of an API call: the data, or why not in words. A 404 means the feature is not available (yet); `field`
 * names the body field a refusal is about (`password`, `name`), so a form can show the message next to it.
 */
export type ApiResult<T> =
  | { ok: true; data: T }
  | {
      ok: false;
      status: number;
      notAvailable: boolean;
      message: string;
      /** The request field the backend names (ApiError.field, e.g. `main.url`), for showing the error beside it. */
      field?: string;
    };

async function call<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  try {
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 404 || res.status === 501) {
      return { ok: false, status: res.status, notAvailable: true, message: 'Not available on this backend.' };
    }
    if (!res.ok) {
      let message = `The backend answered ${res.status}.`;
      let field: string | undefined;
      try {
        const err = (await res.json()) as { message?: string; field?: string };
        if (err.message) message = err.message;
        if (typeof err.field === 'string' && err.field) field = err.field;
      } catch {
        /* not JSON */
      }
      return { ok: false, status: res.status, notAvailable: false, message, ...(field ? { field } : {}) };
    }
    const text = await res.text();
    return { ok: true, data: (text ? JSON.parse(text) : undefined) as T };
  } catch {
    return { ok: false, status: 0, notAvailable: false, message: 'The backend is not reachable.' };
  }
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  del: <T>(path: string) => call<T>('DELETE', path),
};

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(n < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

export function formatTime(ts: number, withDate = false): string {
  const d = new Date(ts);
  const time = d.toLocaleTimeString([], { hour12: false });
  return withDate ? `${d.toLocaleDateString()} ${time}` : time;
}
