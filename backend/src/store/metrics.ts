import { Counter, Histogram, register } from 'prom-client';

function counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
  return (
    (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames })
  );
}

/** Metrics of the event store (default registry; served on /metrics). */
export const storeMetrics = {
  eventsWritten: counter('vigil_store_events_written_total', 'Event messages committed to the event store.'),
  invalidMessages: counter('vigil_store_invalid_messages_total', 'Bus messages refused by the event store.', [
    'topic',
  ]),
  alertsWritten: counter('vigil_store_alerts_written_total', 'Alert messages committed to the event store.'),
  cache: counter('vigil_store_cache_requests_total', 'Event store cache lookups.', ['result']),
  batchSeconds:
    (register.getSingleMetric('vigil_store_batch_seconds') as Histogram<string> | undefined) ??
    new Histogram({
      name: 'vigil_store_batch_seconds',
      help: 'Time to commit one batch of event messages.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    }),
};
