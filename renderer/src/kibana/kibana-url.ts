/** Quotes a string for Rison, the URL notation Kibana uses for its `_g`/`_a` state. */
export function risonString(s: string): string {
  return `'${s.replace(/!/g, '!!').replace(/'/g, "!'")}'`;
}

/** Time ranges offered on the Kibana tab, as Kibana's relative times. */
export const KIBANA_RANGES = [
  { label: 'Last hour', from: 'now-1h' },
  { label: 'Last 24 h', from: 'now-24h' },
  { label: 'Last 7 days', from: 'now-7d' },
  { label: 'Last 30 days', from: 'now-30d' },
] as const;

/**
 * The embed URL of a Kibana dashboard with a time range and, optionally, a camera filter (a KQL query on the
 * `cameraId` field of the Vigil events index).
 */
export function kibanaDashboardUrl(
  base: string,
  dashboardId: string,
  from: string,
  cameraId?: string,
): string {
  const g = `(time:(from:${risonString(from)},to:now))`;
  const query = cameraId ? `cameraId:"${cameraId.replace(/["\\]/g, '\\$&')}"` : '';
  const a = `(query:(language:kuery,query:${risonString(query)}))`;
  return `${base.replace(/\/+$/, '')}/app/dashboards#/view/${encodeURIComponent(dashboardId)}?embed=true&_g=${encodeURIComponent(g)}&_a=${encodeURIComponent(a)}`;
}
