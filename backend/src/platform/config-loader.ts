import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { VigilConfig } from '../contract/config.js';
import { appDataDir } from './paths.js';

/** A configuration that cannot be used. The message names the key path, the bad value and what is allowed. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The loaded configuration and where it came from. */
export interface LoadedConfig {
  config: VigilConfig;
  /** The file it was read from, or "defaults". */
  source: string;
  /** Absolute data folder (config.dataDir resolved). */
  dataDir: string;
}

/** Formats a key path the way a user writes it: cameras[0].main.url */
export function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of p) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(root)';
}

function valueAt(input: unknown, p: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json && json.length > 80 ? `${json.slice(0, 77)}...` : (json ?? String(value));
}

/** Finds the object schema at a key path (through arrays, optionals, defaults and unions) to list allowed keys. */
function allowedKeysAt(schema: z.ZodType, p: readonly PropertyKey[], input: unknown): string[] | undefined {
  let cur: z.ZodType | undefined = schema;
  let value: unknown = input;
  const unwrap = (s: z.ZodType, v: unknown): z.ZodType | undefined => {
    for (let i = 0; i < 10; i++) {
      if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) {
        s = s.unwrap() as z.ZodType;
      } else if (s instanceof z.ZodPrefault) {
        s = s.unwrap() as z.ZodType;
      } else if (s instanceof z.ZodPipe) {
        s = s.in as z.ZodType;
      } else if (s instanceof z.ZodDiscriminatedUnion) {
        const kind = (v as { kind?: unknown } | undefined)?.kind;
        const match = (s.options as z.ZodType[]).find(
          (o) =>
            o instanceof z.ZodObject && (o.shape as Record<string, z.ZodType>).kind?.safeParse(kind).success,
        );
        if (!match) return undefined;
        s = match;
      } else return s;
    }
    return s;
  };
  for (const seg of p) {
    cur = cur && unwrap(cur, value);
    if (cur instanceof z.ZodObject) cur = (cur.shape as Record<string, z.ZodType>)[String(seg)];
    else if (cur instanceof z.ZodArray) cur = cur.element as z.ZodType;
    else return undefined;
    value = (value as Record<PropertyKey, unknown> | undefined)?.[seg];
  }
  cur = cur && unwrap(cur, value);
  return cur instanceof z.ZodObject ? Object.keys(cur.shape) : undefined;
}

/** Turns schema issues into one line each: key path, bad value, what is allowed. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(VigilConfig, issue.path, input);
      return issue.keys
        .map(
          (k) =>
            `${formatPath([...issue.path, k])}: unknown key${allowed ? ` (allowed here: ${allowed.join(', ')})` : ''}`,
        )
        .join('\n');
    }
    const where = formatPath(issue.path);
    const value = valueAt(input, issue.path);
    if (issue.code === 'invalid_value') {
      return `${where}: got ${show(value)}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
      return `${where}: got ${show(value)}; ${issue.message}`;
    }
    const expected = issue.message.replace(/^Invalid input: /, '');
    return `${where}: got ${show(value)}; ${expected}`;
  });
}

/** Validates a parsed configuration object; throws ConfigError naming every problem. */
export function parseConfig(input: unknown, source = 'config'): VigilConfig {
  const result = VigilConfig.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = describeIssues(result.error.issues, input);
  throw new ConfigError(`Invalid configuration in ${source}:\n  ${problems.join('\n  ')}`, source, problems);
}

/** Reads a YAML or JSON config file (YAML is a superset of JSON). */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT' ? `Config file not found: ${file}` : `Cannot read config file ${file}: ${code}`,
      file,
    );
  }
  try {
    return YAML.parse(text, { uniqueKeys: true }) ?? {};
  } catch (err) {
    throw new ConfigError(`Config file ${file} is not valid YAML/JSON: ${(err as Error).message}`, file);
  }
}

/**
 * Loads the configuration: the `--config` file when given, else `config.yaml`/`config.json` in the application data
 * folder when present, else the embedded single-site defaults.
 */
export function loadConfig(options: { configPath?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const home = appDataDir(env);
  let file = options.configPath ? path.resolve(options.configPath) : undefined;
  if (!file) {
    file = ['config.yaml', 'config.yml', 'config.json']
      .map((n) => path.join(home, n))
      .find((f) => fs.existsSync(f));
  }
  const input = file ? readConfigFile(file) : {};
  const source = file ?? 'defaults';
  const config = parseConfig(input, source);
  const dataDir = config.dataDir
    ? path.resolve(file ? path.dirname(file) : home, config.dataDir)
    : path.join(home, 'data');
  return { config, source, dataDir };
}
