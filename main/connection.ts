import { ApiRoutes } from '../backend/src/contract/api.js';
import type {
  DesktopBackendInfo,
  DesktopConnectionSettings,
  DesktopConnectionStatus,
  DesktopConnectionUpdate,
} from '../backend/src/contract/desktop.js';
import { backoffDelay, type BackendSupervisor, type SupervisorState } from './backend-supervisor.js';
import { createMainLogger } from './log.js';
import type { SecretStore } from './secret-store.js';
import type { SettingsStore } from './settings.js';

/** Name of the remote API token in the secret store. */
export const REMOTE_TOKEN_SECRET = 'remoteToken';

/** A change a person can fix, with the field it concerns. */
export class ConnectionSettingsError extends Error {
  override readonly name = 'ConnectionSettingsError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * Checks a remote API or Kibana origin. Plain http is accepted only for this machine: the token must not cross a
 * network unencrypted. Returns the normalised origin.
 */
export function validateOrigin(value: string, field: string): string {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw new ConnectionSettingsError(
      `${field}: "${value}" is not a URL; expected e.g. https://vigil.example.org`,
      field,
    );
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && local)) {
    throw new ConnectionSettingsError(
      `${field}: use https:// (plain http is only allowed for this machine, so the token is never sent unencrypted)`,
      field,
    );
  }
  if (u.username || u.password) {
    throw new ConnectionSettingsError(
      `${field}: put no credentials in the URL; enter the API token instead`,
      field,
    );
  }
  return u.origin;
}

export interface ConnectionOptions {
  settings: SettingsStore;
  secrets: SecretStore;
  /** Creates the supervisor of the bundled backend (local mode). */
  createSupervisor: () => BackendSupervisor;
  /** Remote mode: seconds between health checks while connected. */
  healthIntervalMs?: number;
  requestTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

type Listener = (status: DesktopConnectionStatus, backend: DesktopBackendInfo | undefined) => void;

/**
 * The backend the windows talk to: the bundled one (supervised) or a remote Vigil API (health-checked, reconnected
 * with backoff). Reports a connection status for the indicator and the tray, and the URL + token to load.
 */
export class ConnectionManager {
  readonly #log = createMainLogger('main.connection');
  readonly #listeners = new Set<Listener>();
  #status: DesktopConnectionStatus;
  #backend: DesktopBackendInfo | undefined;
  #supervisor: BackendSupervisor | undefined;
  #offSupervisor: (() => void) | undefined;
  #remoteTimer: NodeJS.Timeout | undefined;
  #remoteAbort: AbortController | undefined;
  #generation = 0;

  constructor(private readonly o: ConnectionOptions) {
    this.#status = { mode: o.settings.value.mode, state: 'stopped' };
  }

  get status(): DesktopConnectionStatus {
    return this.#status;
  }

  /** The backend to load, when connected (kept while reconnecting to a remote, so windows stay put). */
  get backend(): DesktopBackendInfo | undefined {
    return this.#backend;
  }

  get supervisor(): BackendSupervisor | undefined {
    return this.#supervisor;
  }

  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(status: DesktopConnectionStatus, backend: DesktopBackendInfo | undefined): void {
    const changed =
      status.state !== this.#status.state ||
      status.detail !== this.#status.detail ||
      status.mode !== this.#status.mode ||
      backend?.url !== this.#backend?.url ||
      backend?.token !== this.#backend?.token;
    this.#status = status;
    this.#backend = backend;
    if (changed) for (const l of [...this.#listeners]) l(status, backend);
  }

  /** The settings as the renderer may see them (never the token). */
  settingsView(): DesktopConnectionSettings {
    const s = this.o.settings.value;
    return {
      mode: s.mode,
      remoteUrl: s.remoteUrl,
      kibanaUrl: s.kibanaUrl,
      hasRemoteToken: Boolean(this.o.secrets.get(REMOTE_TOKEN_SECRET)),
      canStoreSecrets: this.o.secrets.persistent,
    };
  }

  #kibana(): string | undefined {
    return this.o.settings.value.kibanaUrl || undefined;
  }

  /** Connects according to the settings. */
  start(): void {
    const generation = ++this.#generation;
    const mode = this.o.settings.value.mode;
    if (mode === 'local') this.#startLocal();
    else this.#startRemote(generation, 0);
  }

  #startLocal(): void {
    const supervisor = (this.#supervisor ??= this.o.createSupervisor());
    this.#offSupervisor?.();
    this.#offSupervisor = supervisor.onState((s) => this.#fromSupervisor(s));
    this.#fromSupervisor(supervisor.state);
    supervisor.start();
  }

  #fromSupervisor(s: SupervisorState): void {
    const mode = 'local' as const;
    const kibanaUrl = this.#kibana();
    switch (s.kind) {
      case 'running':
        return this.#emit(
          { mode, state: 'connected' },
          { url: s.url, token: this.#supervisor?.token ?? '', mode, ...(kibanaUrl ? { kibanaUrl } : {}) },
        );
      case 'starting':
        return this.#emit(
          { mode, state: s.attempt > 1 ? 'reconnecting' : 'starting', detail: 'starting the backend' },
          undefined,
        );
      case 'backoff':
        return this.#emit(
          {
            mode,
            state: 'reconnecting',
            detail: `${s.reason}; restarting in ${Math.ceil(s.delayMs / 1000)} s`,
          },
          undefined,
        );
      case 'failed':
        return this.#emit({ mode, state: 'failed', detail: s.reason }, undefined);
      default:
        return this.#emit({ mode, state: 'stopped' }, undefined);
    }
  }

  #startRemote(generation: number, failures: number): void {
    const s = this.o.settings.value;
    const mode = 'remote' as const;
    const token = this.o.secrets.get(REMOTE_TOKEN_SECRET);
    if (!s.remoteUrl || !token) {
      this.#emit(
        {
          mode,
          state: 'failed',
          detail: 'Enter the address and the API token of the Vigil server in the settings.',
        },
        undefined,
      );
      return;
    }
    if (failures === 0 && !this.#backend)
      this.#emit({ mode, state: 'starting', detail: `connecting to ${s.remoteUrl}` }, undefined);
    void this.#probe(s.remoteUrl, token).then((result) => {
      if (generation !== this.#generation) return;
      const kibanaUrl = this.#kibana();
      if (result === 'ok') {
        this.#emit(
          { mode, state: 'connected' },
          { url: s.remoteUrl, token, mode, ...(kibanaUrl ? { kibanaUrl } : {}) },
        );
        this.#remoteTimer = setTimeout(
          () => this.#startRemote(generation, 0),
          this.o.healthIntervalMs ?? 5000,
        );
        return;
      }
      if (result === 'unauthorized') {
        this.#emit(
          { mode, state: 'failed', detail: 'The Vigil server rejected the API token; enter a valid one.' },
          undefined,
        );
        return;
      }
      const delay = backoffDelay(failures + 1, this.o.backoffBaseMs ?? 1000, this.o.backoffMaxMs ?? 30_000);
      // The windows keep the last backend while reconnecting: the app shows its own offline state meanwhile.
      this.#emit(
        {
          mode,
          state: 'reconnecting',
          detail: `${s.remoteUrl} is not reachable; retrying in ${Math.ceil(delay / 1000)} s`,
        },
        this.#backend,
      );
      this.#remoteTimer = setTimeout(() => this.#startRemote(generation, failures + 1), delay);
    });
  }

  async #probe(url: string, token: string): Promise<BackendProbe> {
    this.#remoteAbort = new AbortController();
    const signal = AbortSignal.any([
      this.#remoteAbort.signal,
      AbortSignal.timeout(this.o.requestTimeoutMs ?? 5000),
    ]);
    return probeBackend(url, token, signal);
  }

  #stopRemote(): void {
    if (this.#remoteTimer) clearTimeout(this.#remoteTimer);
    this.#remoteTimer = undefined;
    this.#remoteAbort?.abort();
  }

  /** Applies a settings change (validated first; nothing is saved when it is invalid) and reconnects. */
  async apply(update: DesktopConnectionUpdate): Promise<DesktopConnectionSettings> {
    if (update.mode !== 'local' && update.mode !== 'remote') {
      throw new ConnectionSettingsError('mode: expected "local" or "remote"', 'mode');
    }
    const remoteUrl =
      update.remoteUrl !== undefined && update.remoteUrl !== ''
        ? validateOrigin(update.remoteUrl, 'remoteUrl')
        : update.remoteUrl;
    const kibanaUrl =
      update.kibanaUrl !== undefined && update.kibanaUrl !== ''
        ? validateOrigin(update.kibanaUrl, 'kibanaUrl')
        : update.kibanaUrl;
    if (update.mode === 'remote' && !(remoteUrl ?? this.o.settings.value.remoteUrl)) {
      throw new ConnectionSettingsError('remoteUrl: enter the address of the Vigil server', 'remoteUrl');
    }
    if (update.remoteToken !== undefined) {
      if (update.remoteToken.length > 4096 || /\s/.test(update.remoteToken)) {
        throw new ConnectionSettingsError(
          'remoteToken: a token has no spaces and at most 4096 characters',
          'remoteToken',
        );
      }
      this.o.secrets.set(REMOTE_TOKEN_SECRET, update.remoteToken);
    }
    const before = this.o.settings.value;
    const after = this.o.settings.update((s) => {
      s.mode = update.mode;
      if (remoteUrl !== undefined) s.remoteUrl = remoteUrl;
      if (kibanaUrl !== undefined) s.kibanaUrl = kibanaUrl;
    });
    this.#log.info({ mode: after.mode, remoteUrl: after.remoteUrl }, 'connection settings changed');
    const reconnect =
      before.mode !== after.mode ||
      (after.mode === 'remote' && (before.remoteUrl !== after.remoteUrl || update.remoteToken !== undefined));
    if (reconnect) await this.#switch();
    else if (before.kibanaUrl !== after.kibanaUrl && this.#backend) {
      const kibana = this.#kibana();
      const { kibanaUrl: _old, ...rest } = this.#backend;
      this.#backend = undefined; // forces listeners to see a new backend object
      this.#emit(this.#status, { ...rest, ...(kibana ? { kibanaUrl: kibana } : {}) });
    }
    return this.settingsView();
  }

  async #switch(): Promise<void> {
    this.#generation++;
    this.#stopRemote();
    this.#offSupervisor?.();
    this.#offSupervisor = undefined;
    if (this.#supervisor) {
      await this.#supervisor.stop();
      this.#supervisor = undefined;
    }
    this.#backend = undefined;
    this.start();
  }

  /** Restarts the bundled backend (the error view's button); in remote mode, reconnects now. */
  async restartBackend(): Promise<void> {
    if (this.o.settings.value.mode === 'remote') {
      this.#generation++;
      this.#stopRemote();
      this.start();
      return;
    }
    if (!this.#supervisor) return this.start();
    if (this.#supervisor.state.kind === 'failed') this.#supervisor.start();
    else await this.#supervisor.restart();
  }

  async stop(): Promise<void> {
    this.#generation++;
    this.#stopRemote();
    this.#offSupervisor?.();
    this.#offSupervisor = undefined;
    await this.#supervisor?.stop();
    this.#emit({ mode: this.o.settings.value.mode, state: 'stopped' }, undefined);
  }
}

/** What a probe of a backend found: it answers and accepts the token, refuses the token, or does not answer. */
export type BackendProbe = 'ok' | 'unauthorized' | 'unreachable';

/**
 * Probes a backend at `url`: its health, then its session with `token` in the Authorization header. Redirects are
 * refused, so the token is never sent on to another origin.
 */
export async function probeBackend(url: string, token: string, signal: AbortSignal): Promise<BackendProbe> {
  try {
    const health = await fetch(`${url}${ApiRoutes.health}`, { signal, redirect: 'error' });
    await health.body?.cancel();
    if (!health.ok) return 'unreachable';
    const session = await fetch(`${url}${ApiRoutes.session}`, {
      signal,
      redirect: 'error',
      headers: { authorization: `Bearer ${token}` },
    });
    await session.body?.cancel();
    if (session.status === 401 || session.status === 403) return 'unauthorized';
    return session.ok ? 'ok' : 'unreachable';
  } catch {
    return 'unreachable';
  }
}
