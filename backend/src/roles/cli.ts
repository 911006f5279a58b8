#!/usr/bin/env node
// The `vigil` command: starts a backend role. `vigil --config site.yaml` runs the all-in-one local backend.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { inspectRuntime, FFMPEG_INSTALL_HELP } from '../platform/binaries.js';
import { ConfigError, loadConfig } from '../platform/config-loader.js';
import { configureLogging, createLogger, flushLogs } from '../platform/log.js';
import type * as VerifyModule from '../export/verify.js';
import type { TrustedKey } from '../export/verify.js';
import { appDataDir } from '../platform/paths.js';
import { shellSecretKey, ShellKeyError } from '../platform/shell-key.js';
import { installShutdownHandlers } from '../platform/shutdown.js';
import { ClusterSetupError } from '../platform/secrets.js';
import type { RoleName } from './role.js';
// The backend itself (stores, detectors, Kafka client …) is loaded only by the commands that start it, so that
// `vigil verify` on an investigator's machine starts in a moment.

const USAGE = `Usage: vigil [local] [--config <file>] [--host <addr>] [--port <n>]
       vigil role ingest|detect|events|api --config <file>
       vigil verify <export folder or zip> [--key <fingerprint>]... [--trusted-keys <file>]
       vigil restore --target <id> [<backup id>|latest] [--verify-only] [--config <file>]
       vigil user add <name> --role <guard|investigator|supervisor|admin> [--cameras <id,id,...>]
       vigil user list | remove <name> | passwd <name>
       vigil audit verify [--data <dir>] [--config <file>]

Starts the Vigil backend with every stage embedded and serves the UI, or one role of a cluster
(stages in separate processes over Kafka; see the "cluster" section of the configuration).
  --config <file>   YAML or JSON configuration (default: config.yaml in the application data folder)
  --host, --port    override server.host / server.port
  --help            this text

verify checks a signed evidence export without starting the backend: the signature of its manifest, the
SHA-256 of every file, and whether the key that signed it is one you trust. It names each file that was altered,
added or is missing, and shows the signing installation's name and key fingerprint.
  --key <sha256>          trust only this signing-key fingerprint (as shown on the installation's Backup page);
                          may be given more than once
  --trusted-keys <file>   trust the keys listed in <file>: one fingerprint per line (optionally followed by a
                          name) or PEM public keys
  Without either: this machine's installation key and <app data>/trusted-evidence-keys.txt, when present.
  Exit codes: 0 intact and signed by a trusted key; 1 altered, incomplete or not a signed export;
  2 bad arguments; 3 intact but the signer was NOT checked (no trusted key); 4 intact but signed by a key
  that is not trusted.

audit verify checks the audit log (<data>/audit.db) without stopping Vigil: every entry's hash and link to the one
before, and the signature of every checkpoint with this installation's key. It names the first broken entry.
  --data <dir>      the data folder (default: the one of the configuration)
  Exit codes: 0 intact and signed; 1 an entry was changed, deleted, inserted or cut off, or a checkpoint's
  signature does not hold; 2 bad arguments or the log cannot be read; 3 intact but the signatures were NOT
  checked (no installation key on this machine).

restore puts a backup back into this installation while Vigil is stopped: every file is checked against the
backup's manifest first, and nothing is written when any is missing or corrupt, or when the manifest names a
place outside the data folder or a database not the installation's own. Footage already present is kept and
existing databases are merged (existing rows win). Without a backup id it lists the target's backups.
Exit codes: 0 restored; 1 verification failed or manifest refused (nothing written); 2 bad target or backup id;
75 Vigil is running.
  --target <id>     backup target (from the configuration or added on the Backup page)
  --verify-only     only check the backup and name missing or corrupt files; write nothing
  --force           restore even though the installation's port answers

user manages the people of this installation (its people.db; the backend may be running). The password is read
from the environment variable VIGIL_PASSWORD, else asked on the terminal. --cameras grants the role's camera
rights on those camera ids (or @groups); an administrator sees every camera. Removing a person or changing their
password ends their sessions at once. Exit codes: 0 done; 1 refused (name taken, unknown, last administrator);
2 bad arguments.`;

/**
 * The keys `vigil verify` trusts: those named with --key, else those of --trusted-keys <file>, else this machine's
 * installation key and its trusted-keys file (none: the signer is reported as not checked).
 */
function trustedKeysFor(
  verify: typeof VerifyModule,
  keys: string[],
  file: string | undefined,
): { keys: TrustedKey[]; from: string[] } {
  if (keys.length) {
    return {
      keys: keys.map((k) => {
        const fingerprint = verify.normaliseFingerprint(k);
        if (!fingerprint) throw new Error(`--key "${k}" is not a key fingerprint (64 hexadecimal digits)`);
        return { fingerprint };
      }),
      from: ['--key'],
    };
  }
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the trusted-keys file ${file}: ${(err as NodeJS.ErrnoException).code}`, {
        cause: err,
      });
    }
    const parsed = verify.parseTrustedKeys(text, file);
    if (!parsed.length) throw new Error(`the trusted-keys file ${file} lists no key`);
    return { keys: parsed, from: [file] };
  }
  return verify.defaultTrustedKeys(appDataDir());
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      host: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      key: { type: 'string', multiple: true },
      'trusted-keys': { type: 'string' },
      target: { type: 'string' },
      'verify-only': { type: 'boolean' },
      force: { type: 'boolean' },
      role: { type: 'string' },
      cameras: { type: 'string' },
      data: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const command = positionals[0] ?? 'local';
  if (command === 'verify') {
    const target = positionals[1];
    if (!target) {
      console.error(`vigil verify: name the export folder or zip to check.\n\n${USAGE}`);
      return 2;
    }
    const verify = await import('../export/verify.js');
    let trusted: { keys: TrustedKey[]; from: string[] };
    try {
      trusted = trustedKeysFor(verify, values.key ?? [], values['trusted-keys']);
    } catch (err) {
      console.error(`vigil verify: ${(err as Error).message}`);
      return verify.VerifyExit.usage;
    }
    const report = await verify.verifyEvidence(target, { trustedKeys: trusted.keys });
    console.log(verify.formatVerifyReport(target, report, trusted.from.join(', ') || undefined));
    return verify.verifyExitCode(report);
  }
  let role: RoleName | undefined;
  if (command === 'audit' && positionals[1] !== 'verify') {
    console.error(`vigil audit: the command is "vigil audit verify".\n\n${USAGE}`);
    return 2;
  }
  if (command === 'audit' && values.data) {
    const { auditVerifyCommand } = await import('../audit/verify-command.js');
    return auditVerifyCommand(values.data, appDataDir(), (line) => console.log(line));
  }
  if (command === 'role') {
    const name = positionals[1] ?? '';
    const { ROLE_NAMES } = await import('./role.js');
    if (!(ROLE_NAMES as readonly string[]).includes(name)) {
      console.error(`Unknown role "${name}". Available: ${ROLE_NAMES.join(', ')}.\n\n${USAGE}`);
      return 2;
    }
    role = name as RoleName;
  } else if (command === 'restore') {
    if (!values.target) {
      console.error(`vigil restore: name the backup target with --target <id>.\n\n${USAGE}`);
      return 2;
    }
  } else if (command !== 'local' && command !== 'user' && command !== 'audit') {
    console.error(
      `Unknown command "${command}". Use "local", "role <name>", "verify <export>", "audit verify", "restore" or "user".\n\n${USAGE}`,
    );
    return 2;
  }

  let loaded;
  try {
    loaded = loadConfig({ configPath: values.config });
    if (values.host) loaded.config.server.host = values.host;
    if (values.port) {
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new ConfigError(
          `--port: got "${values.port}"; expected an integer from 0 to 65535`,
          'command line',
        );
      }
      loaded.config.server.port = port;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 78; // EX_CONFIG
    }
    throw err;
  }

  if (command === 'audit') {
    const { auditVerifyCommand } = await import('../audit/verify-command.js');
    return auditVerifyCommand(loaded.dataDir, appDataDir(), (line) => console.log(line));
  }
  configureLogging({ level: loaded.config.logging.level });
  const log = createLogger('roles.cli');
  if (command === 'user') {
    const { runUserCommand, promptPassword } = await import('../people/cli.js');
    const { SqlitePeopleStore } = await import('../people/sqlite-store.js');
    const { PEOPLE_DB, osUserName } = await import('../people/create.js');
    const path = await import('node:path');
    const store = new SqlitePeopleStore(path.join(loaded.dataDir, PEOPLE_DB));
    try {
      return await runUserCommand(
        { positionals: positionals.slice(1), role: values.role, cameras: values.cameras },
        store,
        {
          print: (line) => console.log(line),
          error: (line) => console.error(line),
          password: async (prompt) => process.env.VIGIL_PASSWORD ?? (await promptPassword(prompt)),
          actor: osUserName() ?? 'unknown',
        },
      );
    } finally {
      await store.dispose();
    }
  }
  if (command === 'restore') {
    const { offlineRestore } = await import('../backup/offline-restore.js');
    const { eventStoreFullTextRebuild } = await import('../backup/event-store-fulltext.js');
    const { installationDatabases } = await import('../backup/manifest-check.js');
    return offlineRestore({
      config: loaded.config.backup,
      server: loaded.config.server,
      dataDir: loaded.dataDir,
      targetId: values.target as string,
      backupId: positionals[1],
      verifyOnly: values['verify-only'],
      force: values.force,
      fullTextRebuild: eventStoreFullTextRebuild,
      databases: installationDatabases(loaded.dataDir, loaded.config.store.file),
      print: (line) => console.log(line),
    });
  }
  const runtime = inspectRuntime();
  for (const line of runtime.lines) log.info(line);
  if (!runtime.ffmpeg && (role === undefined || role === 'ingest')) {
    console.error(FFMPEG_INSTALL_HELP);
    flushLogs();
    return 69; // EX_UNAVAILABLE
  }
  log.info({ config: loaded.source, dataDir: loaded.dataDir }, 'configuration loaded');

  if (role) {
    let running;
    try {
      const { startRole } = await import('./role.js');
      running = await startRole(role, {
        config: loaded.config,
        dataDir: loaded.dataDir,
        runtime,
        token: process.env.VIGIL_API_TOKEN,
      });
    } catch (err) {
      if (err instanceof ClusterSetupError) {
        console.error(err.message);
        flushLogs();
        return 78;
      }
      throw err;
    }
    installShutdownHandlers(() => running.dispose(), log);
    process.stdout.write(`\nVigil ${role} role is running${running.url ? ` at ${running.url}` : ''}.\n`);
    // The login link is for the person at the terminal; it is printed, not logged. With cluster.redis it works on
    // every api instance behind the load balancer.
    if (running.loginUrl) {
      const loginUrl = running.loginUrl.bind(running);
      process.stdout.write(`Open this link in a browser to log in:\n\n  ${await loginUrl()}\n\n`);
      offerLoginLinks(loginUrl, loaded.config.server.sessions.loginCodeMinutes);
    }
    if (process.send) process.send({ type: 'ready', role, url: running.url });
    return -1;
  }

  // Under the desktop shell the camera-password store's key comes from the OS keychain, over the message channel.
  let secretKey: Buffer | undefined;
  try {
    secretKey = await shellSecretKey(log);
  } catch (err) {
    if (err instanceof ShellKeyError) {
      console.error(err.message);
      flushLogs();
      return 78;
    }
    throw err;
  }
  const { startLocalApp } = await import('./local.js');
  const app = await startLocalApp({
    config: loaded.config,
    dataDir: loaded.dataDir,
    runtime,
    token: process.env.VIGIL_API_TOKEN,
    secretKey,
  });
  installShutdownHandlers(() => app.dispose(), log);

  // The login link is for the person at the terminal; it is printed, not logged. Under the desktop shell nobody
  // needs it (the shell logs its windows in) and it would land in the shell's error view.
  // Once the installation has an administrator, people sign in with their accounts and no link is printed.
  if (process.env.VIGIL_DESKTOP_SHELL === '1') process.stdout.write('\nVigil is running.\n');
  else if ((await app.people.store.countUsers()) > 0)
    process.stdout.write(`\nVigil is running at ${app.url}. Sign in with your account.\n`);
  else {
    process.stdout.write(
      `\nVigil is running. This installation has no administrator yet: open this link in a browser to create one\n` +
        `(or run: npx vigil user add <name> --role admin):\n\n  ${await app.loginUrl()}\n\n`,
    );
    offerLoginLinks(() => app.loginUrl(), loaded.config.server.sessions.loginCodeMinutes);
  }
  const ready = { type: 'ready', url: app.url, token: app.auth.token };
  if (process.send) process.send(ready);
  // Inside an Electron utilityProcess (the packaged desktop app) the supervisor listens on parentPort.
  (process as { parentPort?: { postMessage(message: unknown): void } }).parentPort?.postMessage(ready);
  return -1; // keep running
}

/**
 * Login links work once and expire within minutes, so the person at the terminal can ask for another one: each
 * Enter prints a fresh link. Only on an interactive terminal (the desktop shell's backend has none).
 */
function offerLoginLinks(issue: () => string | Promise<string>, minutes: number): void {
  if (!process.stdin.isTTY) return;
  process.stdout.write(
    `Each link works once, within ${minutes} minute${minutes === 1 ? '' : 's'}. Press Enter for a new one.\n`,
  );
  process.stdin.on('data', () => {
    void Promise.resolve(issue()).then(
      (url) => process.stdout.write(`\n  ${url}\n\n`),
      (err: unknown) => process.stdout.write(`No login link: ${(err as Error).message}\n`),
    );
  });
  // Waiting for Enter must not keep the process alive once the backend stops.
  process.stdin.unref();
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) {
      flushLogs();
      process.exitCode = code;
    }
  },
  (err: unknown) => {
    console.error('Vigil failed to start:', err instanceof Error ? err.message : err);
    flushLogs();
    process.exit(1);
  },
);
