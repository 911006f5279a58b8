import type {
  AppSession,
  AppWebContents,
  IpcSender,
  PermissionRequest,
  SecureWebPreferences,
} from './electron-adapter.js';
import { createMainLogger } from './log.js';

const log = createMainLogger('main.security');

/** Permissions the UI needs: alert notifications and full-screen video. Everything else is denied. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set([
  'notifications',
  'fullscreen',
  'clipboard-sanitized-write',
]);

/** What the security rules need to know, read at the moment of each decision (the backend URL can change). */
export interface SecurityPolicy {
  /** Origin of the backend the windows load (the app's own origin), when connected. */
  appOrigin(): string | undefined;
  /** Origin of the configured Kibana, allowed in frames. */
  kibanaOrigin(): string | undefined;
  /** http(s) origins whose links open in the system browser. */
  externalOrigins(): readonly string[];
  /** Exact URLs of the shell's own pages (the start and error views), trusted like the app origin. */
  isShellPage(url: string): boolean;
}

/** The origin of a URL, or undefined when it has none (data:, about:blank, garbage). */
export function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The webPreferences of every window: Electron's security checklist, nothing left to defaults. */
export function secureWebPreferences(preload: string): SecureWebPreferences {
  return {
    preload,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}

/** The WebSocket origin that matches an http(s) origin. */
function wsOrigin(origin: string): string {
  return origin.replace(/^http/, 'ws');
}

/**
 * The Content-Security-Policy of the app's pages: scripts only from the backend origin, network only to the backend
 * (HTTP and WebSocket) and the configured Kibana, frames only from Kibana, no plugins, no inline scripts.
 */
export function buildCsp(appOrigin: string, kibanaOrigin?: string): string {
  const kibana = kibanaOrigin ? ` ${kibanaOrigin}` : '';
  return [
    "default-src 'none'",
    `script-src ${appOrigin}`,
    `style-src ${appOrigin} 'unsafe-inline'`,
    `img-src ${appOrigin} data: blob:${kibana}`,
    `media-src ${appOrigin} blob:`,
    `font-src ${appOrigin} data:`,
    `connect-src ${appOrigin} ${wsOrigin(appOrigin)}${kibana}`,
    `worker-src ${appOrigin} blob:`,
    `frame-src ${kibanaOrigin ?? "'none'"}`,
    "object-src 'none'",
    "base-uri 'none'",
    `form-action ${appOrigin}`,
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Whether a permission request may be granted: only the needed ones, only for the app's own top frame. */
export function isPermissionAllowed(policy: SecurityPolicy, request: PermissionRequest): boolean {
  const app = policy.appOrigin();
  const ok =
    ALLOWED_PERMISSIONS.has(request.permission) &&
    request.isMainFrame &&
    app !== undefined &&
    originOf(request.requestingUrl) === app;
  if (!ok)
    log.warn(
      { permission: request.permission, origin: originOf(request.requestingUrl) },
      'permission denied',
    );
  return ok;
}

/** Whether an IPC message comes from the app's own top frame (or one of the shell's pages). */
export function isTrustedSender(policy: SecurityPolicy, sender: IpcSender): boolean {
  if (!sender.isMainFrame || !sender.frameUrl) return false;
  if (policy.isShellPage(sender.frameUrl)) return true;
  const app = policy.appOrigin();
  return app !== undefined && originOf(sender.frameUrl) === app;
}

/** Whether a link may open in the system browser: http(s) to an allowlisted origin. */
export function isExternalAllowed(policy: SecurityPolicy, url: string): boolean {
  const origin = originOf(url);
  if (!origin) return false;
  const kibana = policy.kibanaOrigin();
  return origin === kibana || policy.externalOrigins().includes(origin);
}

/**
 * Session-wide rules: the CSP header on every response from the backend origin, and the permission handlers.
 * Kibana's own responses keep Kibana's CSP.
 */
export function installSessionSecurity(session: AppSession, policy: SecurityPolicy): void {
  session.onHeadersReceived((details) => {
    const app = policy.appOrigin();
    if (!app || originOf(details.url) !== app) return { responseHeaders: details.responseHeaders };
    const headers: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders)) {
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [buildCsp(app, policy.kibanaOrigin())];
    return { responseHeaders: headers };
  });
  session.setPermissionRequestHandler((request) => isPermissionAllowed(policy, request));
  session.setPermissionCheckHandler((request) => isPermissionAllowed(policy, request));
}

/**
 * Per-window rules: no new windows (allowlisted links open in the system browser instead), no navigation away
 * from the app, no <webview>.
 */
export function hardenWebContents(
  contents: AppWebContents,
  policy: SecurityPolicy,
  openExternal: (url: string) => Promise<void>,
): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalAllowed(policy, url)) {
      void openExternal(url).catch((err: unknown) => log.warn({ err }, 'could not open the link'));
    } else {
      log.warn({ origin: originOf(url) ?? 'non-http' }, 'blocked a new window');
    }
    return { action: 'deny' };
  });
  const guard = (event: { url: string; preventDefault(): void }): void => {
    const app = policy.appOrigin();
    if (app !== undefined && originOf(event.url) === app) return;
    event.preventDefault();
    if (isExternalAllowed(policy, event.url)) {
      void openExternal(event.url).catch((err: unknown) => log.warn({ err }, 'could not open the link'));
    } else {
      log.warn({ origin: originOf(event.url) ?? 'non-http' }, 'blocked a navigation');
    }
  };
  contents.onWillNavigate(guard);
  contents.onWillRedirect(guard);
  contents.onWillAttachWebview((event) => event.preventDefault());
}
