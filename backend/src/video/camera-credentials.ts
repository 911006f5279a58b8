import type {
  CameraConfig,
  CameraInput,
  CameraView,
  StreamSource,
  StreamSourceInput,
  StreamSourceView,
} from '../contract/config/cameras.js';
import type { SecretStore } from '../platform/secret-store.js';

/** The two streams of a camera. */
export type StreamName = 'main' | 'sub';

/** Name of a stream's password in the secret store. */
export function passwordSecretName(cameraId: string, stream: StreamName): string {
  return `camera/${cameraId}/${stream}/password`;
}

/** A URL without its user name and password, and what was in it (decoded). */
export function splitUrlCredentials(raw: string): { url: string; username?: string; password?: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: raw };
  }
  if (!u.username && !u.password) return { url: raw };
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.username = '';
  u.password = '';
  const out: { url: string; username?: string; password?: string } = { url: u.toString() };
  if (username !== undefined) out.username = username;
  if (password !== undefined) out.password = password;
  return out;
}

/** Whether two URLs reach the same server (scheme, host and port): a kept password only goes where it went before. */
function sameServer(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.protocol === y.protocol && x.hostname === y.hostname && x.port === y.port;
  } catch {
    return false;
  }
}

/** A stored source (credentials split out of its URL) and what to do with the secret store for it. */
export interface PreparedSource {
  source: StreamSource;
  /** string: store this password; null: remove the stored one; undefined: keep it. */
  password: string | null | undefined;
}

/**
 * Splits a source as the API received it into what is stored (a URL without credentials, the user name) and the
 * password. A password typed into the URL counts as typed into the password field. Without a new password the stored
 * one is kept only while the URL still points at the same server.
 */
export function prepareSource(input: StreamSourceInput, previous: StreamSource | undefined): PreparedSource {
  if (input.kind !== 'rtsp' && input.kind !== 'url') return { source: input, password: null };
  const { password: typed, passwordSet: _ignored, ...rest } = input;
  const split = splitUrlCredentials(rest.url);
  const source = { ...rest, url: split.url } as StreamSource & { username?: string };
  const username = rest.username || split.username;
  if (username) source.username = username;
  else delete source.username;
  let password: string | null | undefined = typed === null ? null : typed || split.password || undefined;
  if (
    password === undefined &&
    (!previous ||
      (previous.kind !== 'rtsp' && previous.kind !== 'url') ||
      !sameServer(previous.url, source.kind === 'rtsp' || source.kind === 'url' ? source.url : ''))
  )
    password = null;
  return { source, password };
}

/** A camera as the API received it, split into the stored configuration and the password changes. */
export function prepareCamera(
  input: CameraInput,
  previous: CameraConfig | undefined,
): { config: CameraConfig; passwords: Record<StreamName, string | null | undefined> } {
  const main = prepareSource(input.main, previous?.main);
  const sub = input.sub ? prepareSource(input.sub, previous?.sub) : undefined;
  const config: CameraConfig = { ...input, main: main.source } as CameraConfig;
  if (sub) config.sub = sub.source;
  else delete config.sub;
  return { config, passwords: { main: main.password, sub: sub ? sub.password : null } };
}

/** Applies the password changes of `prepareCamera` to the secret store. */
export function savePasswords(
  secrets: SecretStore,
  cameraId: string,
  passwords: Record<StreamName, string | null | undefined>,
): void {
  for (const stream of ['main', 'sub'] as const) {
    const pw = passwords[stream];
    if (pw === null) secrets.delete(passwordSecretName(cameraId, stream));
    else if (pw !== undefined) secrets.set(passwordSecretName(cameraId, stream), pw);
  }
}

/** Removes every secret of a camera. */
export function forgetPasswords(secrets: SecretStore, cameraId: string): void {
  for (const stream of ['main', 'sub'] as const) secrets.delete(passwordSecretName(cameraId, stream));
}

function viewSource(source: StreamSource, stored: boolean): StreamSourceView {
  if (source.kind !== 'rtsp' && source.kind !== 'url') return source;
  // A configuration-file camera may still carry credentials in its URL: never shown.
  const split = splitUrlCredentials(source.url);
  const view: StreamSourceView = { ...source, url: split.url };
  if (!view.username && split.username) view.username = split.username;
  view.passwordSet = stored || Boolean(split.password) || Boolean(source.passwordEnv);
  return view;
}

/** A camera as the API shows it: no password anywhere, `passwordSet` per network source. */
export function cameraView(config: CameraConfig, secrets: SecretStore): CameraView {
  const view: CameraView = {
    ...config,
    main: viewSource(config.main, secrets.has(passwordSecretName(config.id, 'main'))),
  };
  if (config.sub) view.sub = viewSource(config.sub, secrets.has(passwordSecretName(config.id, 'sub')));
  return view;
}
