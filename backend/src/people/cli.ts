import readline from 'node:readline';
import type { z } from 'zod';
import {
  CameraGrant,
  NewUserBody,
  Password,
  ROLE_CAMERA_RIGHTS,
  ROLES,
  type Role,
} from '../contract/people.js';
import { People, PeopleError, type PeopleAuditEntry } from './service.js';
import type { PeopleStore } from './store.js';

export const USER_USAGE = `       vigil user add <name> --role <guard|investigator|supervisor|admin> [--cameras <id,id,...>]
       vigil user list | remove <name> | passwd <name>`;

/** Exit codes of `vigil user`: 0 done, 1 refused (exists, unknown, last administrator), 2 bad arguments. */
export const UserExit = { ok: 0, refused: 1, usage: 2 } as const;

export interface UserCommandIo {
  print(line: string): void;
  error(line: string): void;
  /** The password: `VIGIL_PASSWORD`, else asked on the terminal (twice), else undefined. */
  password(prompt: string): Promise<string | undefined>;
  /** Who runs the command, for the audit log. */
  actor: string;
  audit?: (entry: PeopleAuditEntry) => void | Promise<void>;
}

/** Reads a password from the terminal without echoing it; undefined without a terminal. */
export async function promptPassword(prompt: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const ask = (question: string) =>
    new Promise<string>((resolve) => {
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      // Nothing typed is echoed: readline writes through _writeToOutput.
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        if (s.includes(question)) process.stdout.write(question);
      };
      rl.question(question, (answer) => {
        rl.close();
        process.stdout.write('\n');
        resolve(answer);
      });
    });
  const first = await ask(prompt);
  const second = await ask('Repeat it: ');
  if (first !== second) throw new PeopleError(400, 'The two passwords differ.');
  return first;
}

/** The camera grants of `--cameras a,b,@group`: the role's every camera right on each. */
function grantsOf(list: string | undefined, role: Role): z.infer<typeof CameraGrant>[] {
  const rights = [...ROLE_CAMERA_RIGHTS[role]];
  if (list === undefined) return role === 'admin' ? [{ target: '*', rights }] : [];
  return list
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((target) => CameraGrant.parse({ target, rights }));
}

/** `vigil user …`: manages the people of an installation from its terminal (the backend may be running). */
export async function runUserCommand(
  args: { positionals: string[]; role?: string; cameras?: string },
  store: PeopleStore,
  io: UserCommandIo,
): Promise<number> {
  const people = new People(store, io.audit ? { audit: io.audit } : {});
  const [sub, name] = args.positionals;
  const actor = `cli:${io.actor}`;
  try {
    switch (sub) {
      case 'list': {
        const users = await store.listUsers();
        if (!users.length) {
          io.print('No accounts yet. Add the first administrator with: vigil user add <name> --role admin');
          return UserExit.ok;
        }
        for (const u of users) {
          const cameras =
            u.role === 'admin' ? 'all cameras' : u.cameras.map((g) => g.target).join(',') || 'no cameras';
          const state = u.disabled
            ? ' (disabled)'
            : u.lockedUntilTs && u.lockedUntilTs > Date.now()
              ? ' (locked)'
              : '';
          io.print(`${u.name}\t${u.role}\t${cameras}${state}`);
        }
        return UserExit.ok;
      }
      case 'add': {
        if (!name) throw new UsageError('name the account: vigil user add <name> --role <role>');
        if (!args.role || !(ROLES as readonly string[]).includes(args.role))
          throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
        const role = args.role as Role;
        const password = await io.password(`Password for ${name}: `);
        if (password === undefined)
          throw new UsageError('no password: set VIGIL_PASSWORD, or run this on a terminal to be asked');
        const body = NewUserBody.safeParse({ name, role, password, cameras: grantsOf(args.cameras, role) });
        if (!body.success) {
          const issue = body.error.issues[0];
          throw new UsageError(`${issue?.path.join('.') || 'input'}: ${issue?.message}`);
        }
        const user = await people.addUser(body.data, actor);
        io.print(`Added ${user.name} (${user.role}).`);
        return UserExit.ok;
      }
      case 'remove': {
        if (!name) throw new UsageError('name the account: vigil user remove <name>');
        await people.removeUser(name, actor);
        io.print(`Removed ${name}; their sessions have ended.`);
        return UserExit.ok;
      }
      case 'passwd': {
        if (!name) throw new UsageError('name the account: vigil user passwd <name>');
        if (!(await store.getUser(name))) throw new PeopleError(404, `There is no person called "${name}".`);
        const password = await io.password(`New password for ${name}: `);
        if (password === undefined)
          throw new UsageError('no password: set VIGIL_PASSWORD, or run this on a terminal to be asked');
        const checked = Password.safeParse(password);
        if (!checked.success) throw new UsageError(`password: ${checked.error.issues[0]?.message}`);
        await people.setPassword(name, password, actor);
        io.print(`Changed the password of ${name}; their sessions have ended.`);
        return UserExit.ok;
      }
      default:
        throw new UsageError(`unknown subcommand "${sub ?? ''}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.error(`vigil user: ${err.message}\n\nUsage: ${USER_USAGE.trim()}`);
      return UserExit.usage;
    }
    if (err instanceof PeopleError) {
      io.error(`vigil user: ${err.message}`);
      return err.status === 400 ? UserExit.usage : UserExit.refused;
    }
    throw err;
  }
}

class UsageError extends Error {}
