import fs from 'node:fs';
import YAML from 'yaml';

/** Variables the backend needs from the desktop's environment; everything else stays behind. */
const ALLOWED = new Set([
  'PATH',
  'HOME',
  'USER',
  'USERNAME',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  // Windows: the OS needs these to load system libraries and find the profile.
  'SYSTEMROOT',
  'SYSTEMDRIVE',
  'WINDIR',
  'COMSPEC',
  'PATHEXT',
  'APPDATA',
  'LOCALAPPDATA',
  'PROGRAMDATA',
  'USERPROFILE',
  'NUMBER_OF_PROCESSORS',
  'PROCESSOR_ARCHITECTURE',
  // Tools the backend runs.
  'FFMPEG_PATH',
  'FFPROBE_PATH',
  'CHROMIUM_PATH',
]);
const ALLOWED_PREFIXES = ['LC_', 'XDG_', 'VIGIL_'];
/** Set per launch by the supervisor, never inherited. */
const NEVER = new Set(['VIGIL_API_TOKEN', 'ELECTRON_RUN_AS_NODE', 'NODE_OPTIONS']);

/**
 * Names of the environment variables a configuration file refers to: every string value of a key ending in `Env`
 * (camera passwords, cluster credentials). The backend reads its secrets from those variables, so they pass.
 */
export function envNamesInConfig(configPath: string | undefined): string[] {
  if (!configPath || !fs.existsSync(configPath)) return [];
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(configPath, 'utf8'));
  } catch {
    return []; // The backend reports the syntax error itself.
  }
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k.endsWith('Env') && typeof child === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(child))
          names.add(child);
        else walk(child);
      }
    }
  };
  walk(doc);
  return [...names];
}

/**
 * The backend's environment: an allowlist of the desktop's variables (system basics, locale, `VIGIL_*`, the tool
 * paths) plus the named extra variables. Anything else the desktop inherited (cloud keys, proxies' credentials,
 * Electron switches) does not reach the backend.
 */
export function sanitizeEnv(
  source: NodeJS.ProcessEnv,
  extraNames: readonly string[] = [],
): Record<string, string> {
  const extra = new Set(extraNames);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || NEVER.has(name.toUpperCase())) continue;
    const upper = name.toUpperCase();
    if (ALLOWED.has(upper) || ALLOWED_PREFIXES.some((p) => upper.startsWith(p)) || extra.has(name))
      out[name] = value;
  }
  return out;
}
