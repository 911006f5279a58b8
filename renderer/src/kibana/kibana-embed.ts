/**
 * Whether an embedded Kibana can keep its login. With security on, Kibana's session cookie has no SameSite attribute
 * unless `xpack.security.sameSiteCookies` sets one, browsers treat it as Lax, and a browser does not send a Lax
 * cookie to a frame whose page is on another site: Kibana then sends the frame back to its login page after every
 * login, for ever (https://www.elastic.co/guide/en/kibana/8.15/security-settings-kb.html).
 */

/** Where supported set-ups are described. */
export const KIBANA_EMBED_DOC = 'docs/cluster-stores.md#kibana-embedded-in-vigil';

/**
 * The site of a URL as cookies see it: scheme and registrable domain. The registrable domain is approximated by
 * the last two labels of the host (exact for IP addresses, `localhost` and ordinary domains; a public suffix such
 * as `co.uk` makes distinct sites look alike, which only makes the advice below more lenient).
 */
export function siteOf(url: string): string {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const isIp = /^[\d.]+$/.test(host) || host.includes(':');
  const labels = host.split('.');
  const domain = isIp || labels.length <= 2 ? host : labels.slice(-2).join('.');
  return `${u.protocol}//${domain}`;
}

/** Advice on a Kibana embed from the page's origin and the Kibana URL, or undefined when nothing stands in the way. */
export function kibanaEmbedAdvice(pageUrl: string, kibanaUrl: string): string | undefined {
  let pageSite: string;
  let kibanaSite: string;
  try {
    pageSite = siteOf(pageUrl);
    kibanaSite = siteOf(kibanaUrl);
  } catch {
    return undefined;
  }
  if (pageSite === kibanaSite) return undefined;
  if (!kibanaUrl.startsWith('https:'))
    return `Kibana (${new URL(kibanaUrl).origin}) is on another site than Vigil and is not served over HTTPS: with Kibana security on, its login cannot be kept in this tab. Serve Vigil and Kibana behind one reverse proxy (same site), or Kibana over HTTPS with xpack.security.sameSiteCookies: None.`;
  return `Kibana (${new URL(kibanaUrl).origin}) is on another site than Vigil: logging in works only when Kibana sets xpack.security.sameSiteCookies: None (and the browser accepts third-party cookies).`;
}

/**
 * Recognises a login loop from the frame's load events: a dashboard loads once and then navigates inside its own
 * page, while a frame sent back to the login page after each login loads again and again.
 */
export class LoginLoopDetector {
  #loads: number[] = [];
  constructor(
    private readonly maxLoads = 4,
    private readonly windowMs = 30_000,
  ) {}

  /** Forgets past loads (the frame was pointed somewhere else on purpose). */
  reset(): void {
    this.#loads = [];
  }

  /** Records a load of the frame; true when there were too many in the window. */
  load(now: number): boolean {
    this.#loads = [...this.#loads.filter((t) => now - t < this.windowMs), now];
    return this.#loads.length >= this.maxLoads;
  }
}
