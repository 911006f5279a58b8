import { PASSWORD_MIN_LENGTH } from '../../../backend/src/contract/people';

/** The hint under a new-password field. */
export const PASSWORD_HINT = `At least ${PASSWORD_MIN_LENGTH} characters.`;

/** What is wrong with a new password typed twice (`again` undefined: typed once), or undefined. */
export function newPasswordProblem(
  password: string,
  again?: string,
): { field: 'password' | 'again'; message: string } | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return { field: 'password', message: PASSWORD_HINT };
  if (again !== undefined && again !== password)
    return { field: 'again', message: 'The two passwords differ: type the same one twice.' };
  return undefined;
}
