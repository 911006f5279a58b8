import type { FrameDetections } from './media.js';

/**
 * The object the desktop shell's preload exposes to the renderer as `window.vigil` (absent in a plain browser).
 * It is the renderer's only door to the desktop: the backend to talk to, native dialogs, displays, wall windows and
 * native alert notifications. Everything else goes over the HTTP + WebSocket API.
 */

/** Name of the global the preload defines: `window.vigil`. */
export const DESKTOP_BRIDGE_KEY = 'vigil';

/** Which backend the window talks to. */
export interface DesktopBackendInfo {
  /** Origin of the API, e.g. http://127.0.0.1:8470 (local) or https://vigil.example.org (remote). */
  url: string;
  /** Bearer token for the API and WebSocket (the session cookie is also set for `url`). */
  token: string;
  mode: 'local' | 'remote';
  /** Configured Kibana origin (cluster dashboards), when there is one. */
  kibanaUrl?: string;
}

/** A monitor, for placing wall windows. */
export interface DesktopDisplay {
  id: number;
  label: string;
  bounds: { x: number; y: number; width: number; height: number };
  primary: boolean;
  /** Whether a wall window is open on it. */
  hasWall: boolean;
  /**
   * 'exact': a wall opens full screen on this display. 'compositor' (Linux on Wayland): the desktop decides where a
   * window goes, so a wall may open on another display and has to be moved there by the user.
   */
  wallPlacement?: 'exact' | 'compositor';
}

export interface DesktopFileFilter {
  name: string;
  extensions: string[];
}
export interface DesktopOpenDialogRequest {
  title?: string;
  filters?: DesktopFileFilter[];
  directory?: boolean;
  multiple?: boolean;
}
export interface DesktopSaveDialogRequest {
  title?: string;
  defaultPath?: string;
  filters?: DesktopFileFilter[];
}

/** A file of the backend (e.g. an evidence export's download URL) to save where the user chooses. */
export interface DesktopSaveDownloadRequest {
  /** Path or URL on the connected backend, e.g. /api/export/<id>/download. */
  url: string;
  title?: string;
  /** Suggested file name. */
  defaultPath?: string;
  filters?: DesktopFileFilter[];
}

/** An alert to show as a native notification; a click focuses the camera. */
export interface DesktopAlertNotification {
  title: string;
  body: string;
  cameraId: string;
  alertId?: string;
}

/** The connection indicator. */
export interface DesktopConnectionStatus {
  mode: 'local' | 'remote';
  state: 'starting' | 'connected' | 'reconnecting' | 'failed' | 'stopped';
  /** What a person should know, e.g. "the backend stopped 5 times within 60 s". */
  detail?: string;
}

/** Connection settings as the renderer sees them: the remote token itself never leaves the main process. */
export interface DesktopConnectionSettings {
  mode: 'local' | 'remote';
  remoteUrl: string;
  kibanaUrl: string;
  hasRemoteToken: boolean;
  /** False where the OS offers no secret store: a remote token then lasts until the app quits. */
  canStoreSecrets: boolean;
}

/** A settings change; `remoteToken` is stored encrypted by the OS secret store, never in a plain file. */
export interface DesktopConnectionUpdate {
  mode: 'local' | 'remote';
  remoteUrl?: string;
  remoteToken?: string;
  kibanaUrl?: string;
}

/** Health of one site's connection, as the desktop's main process sees it. */
export type DesktopSiteState = 'connecting' | 'online' | 'offline' | 'unauthorized';

/** A site (one Vigil installation or cluster) in the desktop's site list; its API token never leaves the main process. */
export interface DesktopSite {
  /** Stable id chosen when the site is added (letters, digits, `-`), unique in the list. */
  id: string;
  name: string;
  /** Origin of the site's API. */
  url: string;
  hasToken: boolean;
  state: DesktopSiteState;
  /** What a person should know, e.g. "not reachable; retrying in 4 s". */
  detail?: string;
}

/** Adding a site: the token is stored encrypted by the OS secret store. */
export interface DesktopSiteInput {
  id: string;
  name: string;
  url: string;
  token: string;
}

/** A request the main process relays to a site: GET of a read route, or one of the desk's few actions. */
export interface DesktopSiteRequest {
  site: string;
  method: 'GET' | 'POST';
  /** Path and query on the site, e.g. /api/events?label=person. */
  path: string;
  body?: unknown;
}

/** A relayed answer: JSON as parsed, images as a data: URL; `status` 0 when the site did not answer. */
export interface DesktopSiteResponse {
  status: number;
  json?: unknown;
  dataUrl?: string;
  /** Why the site did not answer (status 0). */
  error?: string;
}

/**
 * Asks for the live video of one camera of a site. The main process opens the site's live socket (and its
 * detections of that camera) with the site's token and hands the window a MessagePort carrying them: the port
 * arrives as a window `message` event whose data is `{ type: DESKTOP_SITE_LIVE_MESSAGE, nonce }` (the nonce the
 * window chose), with the port in `event.ports[0]`.
 */
export interface DesktopSiteLiveRequest {
  site: string;
  camera: string;
  /** Chosen by the window to recognise its port: 8–64 letters, digits, `-` or `_`. */
  nonce: string;
}

/** `data.type` of the window message that carries a site's live port. */
export const DESKTOP_SITE_LIVE_MESSAGE = 'vigil:site-live-port';

/**
 * Messages on a site's live port, main process → window: the live socket's text messages (info, time, error) and
 * fMP4 fragments as they came, the site's detections of that camera, and why the stream ended. The window sends
 * `{ type: 'close' }` to end it.
 */
export type DesktopSiteLiveMessage =
  | { type: 'text'; data: string }
  | { type: 'fmp4'; data: Uint8Array }
  | { type: 'detections'; data: FrameDetections }
  | { type: 'closed'; reason: string };

/** The sites the desktop connects to at once (`window.vigil.sites`). */
export interface DesktopSitesApi {
  list(): Promise<DesktopSite[]>;
  add(site: DesktopSiteInput): Promise<DesktopSite[]>;
  remove(id: string): Promise<DesktopSite[]>;
  request(request: DesktopSiteRequest): Promise<DesktopSiteResponse>;
  /** Opens a site camera's live stream; the port follows as a window message (absent in older shells). */
  openLive?(request: DesktopSiteLiveRequest): Promise<void>;
}

/** `window.vigil` */
export interface VigilDesktopApi {
  readonly isDesktop: true;
  backend(): Promise<DesktopBackendInfo>;
  showOpenDialog(request: DesktopOpenDialogRequest): Promise<string[]>;
  showSaveDialog(request: DesktopSaveDialogRequest): Promise<string | undefined>;
  /** Asks where to save a backend file and saves it there; the chosen path, or undefined when cancelled. */
  saveDownload(request: DesktopSaveDownloadRequest): Promise<string | undefined>;
  displays(): Promise<DesktopDisplay[]>;
  /** Opens (or focuses) the wall window on a display; the choice is remembered for this display arrangement. */
  openWallWindow(displayId: number): Promise<void>;
  /** Closes the wall window on a display and forgets it for this arrangement. */
  closeWallWindow(displayId: number): Promise<void>;
  /** Kiosk (full screen, no window chrome) for the calling window. */
  setKiosk(on: boolean): Promise<void>;
  notify(alert: DesktopAlertNotification): Promise<void>;
  connection(): Promise<DesktopConnectionSettings>;
  setConnection(update: DesktopConnectionUpdate): Promise<DesktopConnectionSettings>;
  restartBackend(): Promise<void>;
  /** A notification was clicked: show this camera. Returns the unsubscribe function. */
  onFocusCamera(listener: (cameraId: string) => void): () => void;
  onConnectionStatus(listener: (status: DesktopConnectionStatus) => void): () => void;
  /** Further sites, each with its own sign-in, reached through the main process (absent in older shells). */
  readonly sites?: DesktopSitesApi;
}
