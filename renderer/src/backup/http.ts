import type { ApiError } from '../../../backend/src/contract/api';

/** An answer of the backend: the body, or the error message it gave in words. */
export type Result<T> = { ok: true; value: T } | { ok: false; message: string; field?: string };

/** Calls the backend API with the session cookie; errors come back as messages, never as exceptions. */
export async function call<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
): Promise<Result<T>> {
  try {
    const res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const data = (await res.json().catch(() => undefined)) as unknown;
    if (!res.ok) {
      const err = data as Partial<ApiError> | undefined;
      return { ok: false, message: err?.message ?? `The backend answered ${res.status}.`, field: err?.field };
    }
    return { ok: true, value: data as T };
  } catch {
    return { ok: false, message: 'The backend is not reachable.' };
  }
}

/** 1536000 → "1.5 MB". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString();
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
