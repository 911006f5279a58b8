import { z } from 'zod';
import { VigilConfig } from '../contract/config.js';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
};

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (s.items) return `${typeOf(s.items)}[]`;
  const variants = s.oneOf ?? s.anyOf;
  if (variants) {
    const kinds = variants.map((v) => v.properties?.kind?.const).filter((k) => k !== undefined);
    if (kinds.length === variants.length)
      return `object, \`kind\` one of ${kinds.map((k) => `\`${String(k)}\``).join(', ')}`;
    return variants.map(typeOf).join(' \\| ');
  }
  let t = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
  if (s.minimum !== undefined || s.maximum !== undefined) t += ` (${s.minimum ?? ''}…${s.maximum ?? ''})`;
  return t;
}

function fmtDefault(v: unknown): string {
  if (v === undefined) return '';
  const json = JSON.stringify(v);
  return json.length > 60 ? '(see below)' : `\`${json}\``;
}

function rows(s: JsonSchema, prefix: string, out: string[], required: Set<string>): void {
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const p = prefix ? `${prefix}.${key}` : key;
    const req = required.has(key) && prop.default === undefined ? ' **(required)**' : '';
    out.push(
      `| \`${p}\` | ${typeOf(prop)} | ${fmtDefault(prop.default)} | ${(prop.description ?? '').replace(/\|/g, '\\|')}${req} |`,
    );
    if (prop.properties) rows(prop, p, out, new Set(prop.required));
    const element = prop.items;
    if (element?.properties) rows(element, `${p}[]`, out, new Set(element.required));
    for (const variant of prop.oneOf ?? prop.anyOf ?? element?.oneOf ?? element?.anyOf ?? []) {
      const kind = variant.properties?.kind?.const;
      if (variant.properties) {
        const base = element ? `${p}[]` : p;
        rows(variant, `${base}{kind=${String(kind)}}`, out, new Set(variant.required));
      }
    }
  }
}

/** Renders docs/config.md from the schema: one row per key with its type, default and description. */
export function renderConfigDocs(): string {
  const schema = z.toJSONSchema(VigilConfig, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from backend/src/contract/config.ts by `npm run docs`. Do not edit by hand. -->',
    '',
    'Vigil reads one YAML or JSON file: the path given with `--config`, else `config.yaml` (or `config.json`) in the',
    'application data folder (`~/.config/vigil` on Linux, `~/Library/Application Support/Vigil` on macOS,',
    '`%APPDATA%\\Vigil` on Windows; `VIGIL_HOME` overrides it). Without a file the defaults below apply: one site,',
    'everything embedded, one demo camera.',
    '',
    'Unknown keys are rejected. A bad value stops start-up with a message naming the key, the value and what is',
    'allowed. Secrets (camera passwords, cluster credentials) are never written in this file: a field such as',
    '`passwordEnv` names the environment variable that holds them.',
    '',
    '## Cameras: set in the file or in the app',
    '',
    'A camera listed under `cameras` in this file is managed by the file. At every start Vigil replaces its stored',
    "settings with the file's, so a change here (say `analysis.fps`) takes effect at the next start. The app shows",
    'such a camera as "Set in the configuration file": its settings can be read there but not changed or removed',
    '(the API answers 409), because the file would undo the change at the next start. Its zones and masks are',
    'not part of this file and stay editable in the app.',
    '',
    "Cameras added in the app are the app's: they are kept in the data folder with their edits and survive",
    'restarts. A camera taken out of the file stays in the app with its last settings, and can then be edited or',
    'removed there. Without a `cameras` key the demo camera of the defaults is added once to a fresh installation',
    "and is then the app's like any other.",
    '',
    'Camera passwords never live in this file. A password typed into a URL here is moved to the encrypted secret',
    'store at start (with a warning); name an environment variable with `passwordEnv` instead.',
    '',
    '## Keys',
    '',
    '| key | type | default | description |',
    '| --- | --- | --- | --- |',
  ];
  rows(schema, '', out, new Set(schema.required));
  out.push(
    '',
    '## Default cameras',
    '',
    '```json',
    JSON.stringify(VigilConfig.parse({}).cameras, null, 2),
    '```',
    '',
  );
  return out.join('\n');
}
