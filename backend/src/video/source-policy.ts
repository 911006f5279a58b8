import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { CameraConfig, StreamSource } from '../contract/config/cameras.js';
import type { VideoConfig } from '../contract/config/video.js';
import { resolveInstallPath } from '../platform/paths.js';
import { splitUrlCredentials } from './camera-credentials.js';

/** Default ports of the URL schemes cameras use (an explicit port in the URL wins). */
const DEFAULT_PORTS: Record<string, number> = {
  'rtsp:': 554,
  'rtsps:': 322,
  'http:': 80,
  'https:': 443,
  'rtmp:': 1935,
};

/** The message for any file outside the media folders: the same whether the file exists or not. */
export const OUTSIDE_MEDIA_FOLDERS =
  'file cameras may only play files inside the media folders (video.mediaFolders in the configuration)';

interface HostRule {
  /** Lower-case host name, "*.suffix", or undefined for address rules. */
  host?: string;
  /** Matching addresses (a single address or a CIDR range). */
  addresses?: net.BlockList;
  port?: number;
  text: string;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it stands for. */
function normaliseAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

function parseRule(text: string): HostRule {
  let hostPart = text.trim();
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPart);
  if (bracketed?.[1]) {
    hostPart = bracketed[1];
    if (bracketed[2]) port = Number(bracketed[2]);
  } else {
    const hostPort = /^([^:]+):(\d+)$/.exec(hostPart);
    if (hostPort?.[1] && hostPort[2]) {
      hostPart = hostPort[1];
      port = Number(hostPort[2]);
    }
  }
  const rule: HostRule = { text, ...(port !== undefined ? { port } : {}) };
  const cidr = /^(.+)\/(\d{1,3})$/.exec(hostPart);
  const family = (a: string): 'ipv4' | 'ipv6' => (net.isIPv6(a) ? 'ipv6' : 'ipv4');
  if (cidr?.[1] && net.isIP(cidr[1])) {
    rule.addresses = new net.BlockList();
    rule.addresses.addSubnet(cidr[1], Number(cidr[2]), family(cidr[1]));
  } else if (net.isIP(hostPart)) {
    rule.addresses = new net.BlockList();
    rule.addresses.addAddress(hostPart, family(hostPart));
  } else {
    rule.host = hostPart.toLowerCase();
  }
  return rule;
}

function ruleMatches(rule: HostRule, host: string, addresses: string[], port: number | undefined): boolean {
  if (rule.port !== undefined && rule.port !== port) return false;
  if (rule.host !== undefined) {
    if (rule.host.startsWith('*.')) return host.endsWith(rule.host.slice(1));
    return host === rule.host;
  }
  return addresses.some((a) => rule.addresses!.check(a, net.isIPv6(a) ? 'ipv6' : 'ipv4'));
}

function isLoopback(host: string, addresses: string[]): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return addresses.some((a) => (net.isIPv4(a) ? a.startsWith('127.') : a === '::1'));
}

/** How long a host name may take to resolve before the check gives up on it. */
const LOOKUP_TIMEOUT_MS = 5000;

/** Every address a host name resolves to (the system resolver, as ffmpeg uses), within LOOKUP_TIMEOUT_MS. */
async function resolveHost(host: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${host} did not resolve in time`)), LOOKUP_TIMEOUT_MS);
  });
  try {
    const found = await Promise.race([dns.promises.lookup(host, { all: true }), timeout]);
    return found.map((a) => a.address);
  } finally {
    clearTimeout(timer);
  }
}

function inside(folder: string, file: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function realpathOr(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * What a camera may read: file cameras only inside the media folders, network cameras only hosts the administrator
 * allows (never link-local addresses such as the cloud metadata service, nor local ports other than the configured
 * ones). Sources named by the configuration file's own cameras are the administrator's and always allowed.
 */
export class SourcePolicy {
  readonly #allow: HostRule[];
  readonly #deny: HostRule[];
  readonly #loopbackPorts: 'any' | readonly number[];
  readonly #folders: string[];
  readonly #trusted = new Set<string>();

  constructor(
    video: Pick<VideoConfig, 'mediaFolders' | 'networkSources'>,
    configCameras: readonly CameraConfig[],
    private readonly lookup: (host: string) => Promise<string[]> = resolveHost,
  ) {
    this.#allow = video.networkSources.allow.map(parseRule);
    this.#deny = video.networkSources.deny.map(parseRule);
    this.#loopbackPorts = video.networkSources.loopbackPorts;
    this.#folders = video.mediaFolders.map((f) => path.resolve(resolveInstallPath(f)));
    for (const cam of configCameras)
      for (const s of [cam.main, cam.sub]) if (s) this.#trusted.add(SourcePolicy.#key(s));
  }

  static #key(source: StreamSource): string {
    switch (source.kind) {
      case 'file':
        return `file:${path.resolve(resolveInstallPath(source.path))}`;
      case 'rtsp':
      case 'url':
        return `net:${splitUrlCredentials(source.url).url}`;
      case 'testPattern':
        return 'testPattern';
    }
  }

  /** Why the source may not be used, or undefined when it may. Never says whether a file outside exists. */
  async refusal(source: StreamSource): Promise<string | undefined> {
    if (source.kind === 'testPattern' || this.#trusted.has(SourcePolicy.#key(source))) return undefined;
    if (source.kind === 'file') return this.#fileRefusal(source.path);
    return this.#hostRefusal(source.url);
  }

  #fileRefusal(p: string): string | undefined {
    const file = path.resolve(resolveInstallPath(p));
    if (!this.#folders.some((f) => inside(f, file))) return OUTSIDE_MEDIA_FOLDERS;
    // A symbolic link inside a media folder must not lead outside it.
    const real = realpathOr(file);
    if (real === undefined) return undefined; // inside a media folder: "file not found" tells nothing new
    const realFolders = this.#folders.map((f) => realpathOr(f) ?? f);
    return realFolders.some((f) => inside(f, real)) ? undefined : OUTSIDE_MEDIA_FOLDERS;
  }

  async #hostRefusal(raw: string): Promise<string | undefined> {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return 'the camera URL cannot be read';
    }
    const host = stripBrackets(u.hostname).toLowerCase();
    const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol];
    let addresses: string[];
    if (net.isIP(host)) addresses = [host];
    else {
      try {
        addresses = await this.lookup(host);
      } catch {
        addresses = []; // ffmpeg will say the host name is unknown
      }
    }
    addresses = addresses.map(normaliseAddress);
    const where = port !== undefined ? `${host}:${port}` : host;
    if (this.#deny.some((r) => ruleMatches(r, host, addresses, port)))
      return `camera URLs may not reach ${where} (denied by video.networkSources.deny)`;
    const allowed = this.#allow.some((r) => ruleMatches(r, host, addresses, port));
    if (isLoopback(host, addresses) && !allowed) {
      const ports = this.#loopbackPorts;
      if (ports !== 'any' && (port === undefined || !ports.includes(port)))
        return `camera URLs may not reach port ${port ?? '(none)'} of this machine (allowed: ${ports.join(', ') || 'none'}; video.networkSources.loopbackPorts)`;
      return undefined;
    }
    if (this.#allow.length > 0 && !allowed)
      return `camera URLs may not reach ${where} (not in video.networkSources.allow)`;
    return undefined;
  }
}
