import client from 'prom-client';

/**
 * Prometheus metrics of the API, registered on prom-client's default registry, which `/metrics` serves along with
 * every other area's `vigil_*` metrics and the process defaults.
 */
function once<T extends client.Metric>(name: string, create: () => T): T {
  return (client.register.getSingleMetric(name) as T | undefined) ?? create();
}

let defaultsCollected = false;
function collectDefaults(): void {
  if (defaultsCollected || client.register.getSingleMetric('process_cpu_seconds_total')) return;
  defaultsCollected = true;
  client.collectDefaultMetrics();
}

const requestSeconds = once(
  'vigil_api_request_duration_seconds',
  () =>
    new client.Histogram({
      name: 'vigil_api_request_duration_seconds',
      help: 'API request latency by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    }),
);

export const wsClients = once(
  'vigil_ws_clients',
  () => new client.Gauge({ name: 'vigil_ws_clients', help: 'Connected realtime (/api/ws) clients.' }),
);

export const wsMessages = once(
  'vigil_ws_messages_total',
  () =>
    new client.Counter({
      name: 'vigil_ws_messages_total',
      help: 'Realtime messages sent to clients, by kind.',
      labelNames: ['kind'],
    }),
);

export const wsDropped = once(
  'vigil_ws_dropped_total',
  () =>
    new client.Counter({
      name: 'vigil_ws_dropped_total',
      help: 'Realtime messages not sent: slow client (back-pressure) or unclassified/invalid (fail closed).',
      labelNames: ['kind', 'reason'],
    }),
);

/** Records one finished request. */
export function observeRequest(method: string, route: string, status: number, seconds: number): void {
  requestSeconds.observe({ method, route, status: String(status) }, seconds);
}

export function metricsContentType(): string {
  return client.register.contentType;
}

export async function renderMetrics(): Promise<string> {
  collectDefaults();
  return client.register.metrics();
}
