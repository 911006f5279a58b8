import type { FastifyRequest } from 'fastify';

/**
 * Whose audit entries a caller may read: everyone's for an administrator or an API token with `audit.view`; a
 * supervisor's own and their team's otherwise.
 */
export function teamAuditScope(req: FastifyRequest): readonly string[] | undefined {
  const p = req.principal;
  if (!p || p.role === 'admin' || p.role === 'token') return undefined;
  return [p.user, ...(p.teamMembers ?? [])];
}
