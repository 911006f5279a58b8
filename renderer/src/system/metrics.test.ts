import { describe, expect, it } from 'vitest';
import { parsePrometheus, sumMetric } from './metrics';

describe('Prometheus text parsing', () => {
  it('reads samples with labels and sums them', () => {
    const text = `# HELP vigil_ws_clients x
# TYPE vigil_ws_clients gauge
vigil_ws_clients 3
vigil_api_request_duration_seconds_count{method="GET",route="/api/cameras",status="200"} 12
vigil_api_request_duration_seconds_count{method="GET",route="/api/x \\"q\\"",status="404"} 3
vigil_api_request_duration_seconds_bucket{le="+Inf"} 15
`;
    const s = parsePrometheus(text);
    expect(sumMetric(s, 'vigil_ws_clients')).toBe(3);
    expect(sumMetric(s, 'vigil_api_request_duration_seconds_count')).toBe(15);
    expect(sumMetric(s, 'vigil_api_request_duration_seconds_count', { status: '404' })).toBe(3);
    expect(s.find((x) => x.labels.status === '404')?.labels.route).toBe('/api/x "q"');
    expect(sumMetric(s, 'missing')).toBeUndefined();
  });
});
