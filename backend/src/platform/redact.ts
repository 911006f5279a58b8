/** Masks the password of any URL with embedded credentials: rtsp://user:secret@host → rtsp://user:***@host. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^:@/\s]*):([^@/\s]+)@/gi, '$1$2:***@');
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|apikey|api_key|credential/i;

/** Deep copy of a log payload with secret-looking keys censored and URL credentials masked. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      SECRET_KEY.test(k) && v !== undefined && typeof v !== 'boolean'
        ? '[redacted]'
        : redactValue(v, depth + 1);
  }
  return out;
}
