import { describe, expect, it } from 'vitest';
import { kibanaDashboardUrl, risonString } from './kibana-url';

describe('Kibana dashboard URL', () => {
  it('passes the time range and the camera filter in Kibana state', () => {
    const url = new URL(
      kibanaDashboardUrl('https://kibana.example:5601/', 'vigil-detections', 'now-24h', 'dock-1'),
    );
    expect(url.origin).toBe('https://kibana.example:5601');
    expect(url.pathname).toBe('/app/dashboards');
    const hash = new URLSearchParams(url.hash.slice(url.hash.indexOf('?') + 1));
    expect(url.hash.startsWith('#/view/vigil-detections?')).toBe(true);
    expect(hash.get('embed')).toBe('true');
    expect(hash.get('_g')).toBe("(time:(from:'now-24h',to:now))");
    expect(hash.get('_a')).toBe(`(query:(language:kuery,query:'cameraId:"dock-1"'))`);
  });

  it('leaves the query empty without a camera and escapes quotes in Rison', () => {
    const url = kibanaDashboardUrl('http://k:5601', 'd', 'now-1h');
    expect(decodeURIComponent(url)).toContain("query:''");
    expect(risonString("it's!")).toBe("'it!'s!!'");
  });
});
