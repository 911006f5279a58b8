import type { RealtimeMessage } from '../../../backend/src/contract';
import { Routes } from './api-client';

type Listener = (message: RealtimeMessage) => void;

/**
 * The connection to WS /api/ws: one per window, shared by every view, reconnecting with back-off. Messages of a
 * kind this client does not know are ignored.
 */
export class RealtimeClient {
  #ws: WebSocket | undefined;
  #listeners = new Set<Listener>();
  #stateListeners = new Set<(connected: boolean) => void>();
  #retryMs = 500;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  connected = false;

  constructor(private readonly url: string) {}

  start(): void {
    this.#closed = false;
    this.#open();
  }

  #open(): void {
    const ws = new WebSocket(this.url);
    this.#ws = ws;
    ws.onopen = () => {
      this.#retryMs = 500;
      this.#setConnected(true);
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') return;
      let msg: RealtimeMessage;
      try {
        msg = JSON.parse(e.data) as RealtimeMessage;
      } catch {
        return;
      }
      if (!['detections', 'event', 'alert', 'health'].includes(msg.kind)) return;
      for (const l of this.#listeners) l(msg);
    };
    ws.onclose = () => {
      this.#setConnected(false);
      if (this.#closed) return;
      this.#timer = setTimeout(() => this.#open(), this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, 10_000);
    };
  }

  #setConnected(v: boolean): void {
    this.connected = v;
    for (const l of this.#stateListeners) l(v);
  }

  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `listener` with the connection state now and on every change. */
  onState(listener: (connected: boolean) => void): () => void {
    this.#stateListeners.add(listener);
    listener(this.connected); // a view mounted after the socket opened must not show it as down
    return () => this.#stateListeners.delete(listener);
  }

  stop(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#ws?.close();
  }
}

export function wsUrl(path: string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}${path}`;
}

let shared: RealtimeClient | undefined;
/** The window's realtime connection (opened on first use). */
export function realtime(): RealtimeClient {
  if (!shared) {
    shared = new RealtimeClient(wsUrl(Routes.app.realtime));
    shared.start();
  }
  return shared;
}
