/** Secret values this process knows (camera passwords from the secret store): masked wherever they appear. */
const knownSecrets = new Set<string>();

/** Registers a secret value so that logs never show it. Values shorter than 4 characters are too common to mask. */
export function addKnownSecret(value: string): void {
  if (value.length >= 4) knownSecrets.add(value);
  // Also as it appears inside a URL.
  const encoded = encodeURIComponent(value);
  if (encoded !== value && encoded.length >= 4) knownSecrets.add(encoded);
}

function maskKnown(text: string): string {
  let out = text;
  for (const s of knownSecrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/** Masks the password of any URL with embedded credentials: rtsp://user:secret@host → rtsp://user:***@host. */
export function redactUrl(text: string): string {
  return maskKnown(text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^:@/\s]*):([^@/\s]+)@/gi, '$1$2:***@'));
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|apikey|api_key|credential/i;

/** Deep copy of a log payload with secret-looking keys censored and URL credentials masked. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    // An error's message may quote a URL (a spawn error quotes the whole command line).
    const copy = new Error(redactUrl(value.message));
    copy.name = value.name;
    if (value.stack) copy.stack = redactUrl(value.stack);
    const code = (value as NodeJS.ErrnoException).code;
    if (code) (copy as NodeJS.ErrnoException).code = code;
    return copy;
  }
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
