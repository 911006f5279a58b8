import fs from 'node:fs';

/**
 * A setting that cannot be used as configured: a missing secret, an unreadable certificate file, a Kafka topic
 * that cannot be created. The message names the setting (or the topic) and says what to do; `vigil role` prints
 * it and exits with 78 (EX_CONFIG).
 */
export class ClusterSetupError extends Error {}

// This module is the one secret reader: every role, store factory and notification channel reads the secrets the
// configuration names through it, and every failure is a ClusterSetupError naming the field and the variable or
// file, never the value (a role stops with it; a notification channel records it on the incident as its failure).

/**
 * Reads a secret from the environment variable a config field names (`cluster.bus.sasl.passwordEnv` →
 * `VIGIL_KAFKA_PASSWORD`). Secrets never live in the config file; in Kubernetes and Docker they come from the
 * platform's secret store as environment variables. Undefined when the field is not set; a ClusterSetupError naming
 * the field and the variable when the variable is unset or empty.
 */
export function readSecret(
  field: string,
  name: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (!name) return undefined;
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ClusterSetupError(`${field}: environment variable ${name} is not set`);
  }
  return value;
}

/**
 * Reads a secret from a file a config field names (a token mounted from a Kubernetes Secret, refreshed in place by
 * the platform): read at each call, trimmed. Undefined when the field is not set; a ClusterSetupError naming the
 * field when the file cannot be read or is empty.
 */
export async function readSecretFile(field: string, file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  let value: string;
  try {
    value = (await fs.promises.readFile(file, 'utf8')).trim();
  } catch (err) {
    throw new ClusterSetupError(`${field}: cannot read ${file} (${(err as Error).message})`, { cause: err });
  }
  if (!value) throw new ClusterSetupError(`${field}: ${file} is empty`);
  return value;
}

/** TLS options from a config's CA, client certificate and key files (PEM); undefined when none is set. */
export function tlsOptions(
  field: string,
  files: { caFile?: string; certFile?: string; keyFile?: string; rejectUnauthorized?: boolean },
): { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean } | undefined {
  const ca = readPemFile(`${field}.caFile`, files.caFile);
  const cert = readPemFile(`${field}.certFile`, files.certFile);
  const key = readPemFile(`${field}.keyFile`, files.keyFile);
  if (Boolean(cert) !== Boolean(key))
    throw new ClusterSetupError(`${field}: set both certFile and keyFile for a client certificate`);
  const rejectUnauthorized = files.rejectUnauthorized ?? true;
  if (!ca && !cert && rejectUnauthorized) return undefined;
  return { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}), rejectUnauthorized };
}

/** Reads a PEM file a config field names (a CA, a client certificate or key); a ClusterSetupError when it cannot. */
export function readPemFile(field: string, file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ClusterSetupError(`${field}: cannot read ${file} (${(err as Error).message})`, { cause: err });
  }
}
