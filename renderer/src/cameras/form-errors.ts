/** The inputs of the camera form that an error can stand next to. */
export type CameraFormField = 'id' | 'name' | 'url' | 'username' | 'password' | 'location';

/** An error answer of the camera API, put in words and placed at a form field (none: it is about the whole form). */
export interface CameraFormError {
  field?: CameraFormField;
  text: string;
}

/** Request fields of the camera API (ApiError.field) and the form input that edits each. */
const FIELDS: Array<[RegExp, CameraFormField]> = [
  [/^id$/, 'id'],
  [/^name$/, 'name'],
  [/^main(\.(url|path|kind))?$/, 'url'],
  [/^main\.username$/, 'username'],
  [/^main\.(password|passwordEnv)$/, 'password'],
  [/^location$/, 'location'],
];

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/**
 * Turns the backend's message into words for a person: without the field's key path in front (the error stands next
 * to the field), and with schema phrasing ("Too small: expected string to have >=1 characters") said plainly.
 */
function words(message: string, field: string | undefined): string {
  let m = message.replace(/^Invalid (body|request|params|querystring)( field "[^"]*")?: /, '');
  if (field && m.startsWith(`${field}: `)) m = m.slice(field.length + 2);
  if (/^Too small: expected string to have >=1 characters?/.test(m)) return 'Required.';
  if (/^Invalid input: expected \w+, received undefined/.test(m)) return 'Required.';
  const tooLong = /^Too big: expected string to have <=(\d+) characters?/.exec(m);
  if (tooLong) return `At most ${tooLong[1]} characters.`;
  // The schema's own descriptions of what is allowed ("an rtsp:// or rtsps:// URL", "lower-case letters, …").
  if (/^an? /.test(m)) return sentence(`Expected ${m}`);
  if (/^lower-case letters/.test(m)) return sentence(`Use only ${m}`);
  return sentence(m);
}

/** Where and how the camera form shows an error the backend answered on save. */
export function cameraFormError(message: string, field?: string): CameraFormError {
  const at = field ? FIELDS.find(([re]) => re.test(field))?.[1] : undefined;
  return at ? { field: at, text: words(message, field) } : { text: words(message, field) };
}

/**
 * The camera id rule (contract `CameraId`) as an HTML `pattern`. Browsers compile `pattern` with the `v` flag, where
 * "-" must be escaped inside a class ("[a-z0-9_-]" is a syntax error there and the browser then checks nothing).
 */
export const CAMERA_ID_PATTERN = '[a-z0-9][a-z0-9_\\-]{0,62}';
