import { describe, expect, it } from 'vitest';
import { kibanaEmbedAdvice, LoginLoopDetector, siteOf } from './kibana-embed';

describe('Kibana embed advice', () => {
  it('compares sites as cookies do: scheme and registrable domain, ports ignored', () => {
    expect(siteOf('http://127.0.0.1:8470/')).toBe('http://127.0.0.1');
    expect(siteOf('https://kibana.soc.example.com:5601')).toBe('https://example.com');
    expect(kibanaEmbedAdvice('http://127.0.0.1:8470/', 'http://127.0.0.1:5601')).toBeUndefined();
    expect(kibanaEmbedAdvice('https://vigil.example.com/', 'https://kibana.example.com')).toBeUndefined();
    expect(kibanaEmbedAdvice('http://127.0.0.1:8470/', 'http://localhost:5601')).toMatch(
      /not served over HTTPS.*one reverse proxy.*sameSiteCookies: None/,
    );
    expect(kibanaEmbedAdvice('https://vigil.example.com/', 'https://kibana.other.org')).toMatch(
      /sameSiteCookies: None/,
    );
    // Schemeful same-site: http and https pages of one domain are different sites.
    expect(kibanaEmbedAdvice('http://vigil.example.com/', 'https://kibana.example.com')).toMatch(
      /another site/,
    );
  });

  it('calls it a loop only when the frame loads again and again within the window', () => {
    const d = new LoginLoopDetector(4, 30_000);
    expect([0, 40_000, 80_000, 120_000].map((t) => d.load(t))).toEqual([false, false, false, false]);
    d.reset();
    expect([0, 1000, 2000, 3000].map((t) => d.load(t))).toEqual([false, false, false, true]);
  });
});
