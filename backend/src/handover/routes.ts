import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ApiError } from '../contract/api.js';
import {
  HandoverAckBody,
  HandoverApiRoutes,
  HandoverListParams,
  MAX_SHIFT_MS,
  NewHandoverBody,
  type Handover,
  type HandoverDraft,
  type HandoverListResponse,
  type HandoverSummary,
} from '../contract/handover.js';
import type { EventStore } from '../contract/store.js';
import type { Principal } from '../api/access.js';
import { requestActor } from '../api/auth.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { RouteModule } from '../api/server.js';
import type { People } from '../people/service.js';
import { CameraScope } from '../people/scope.js';
import type { HandoverStore } from './store.js';
import { prepareSummary } from './summary.js';
import { addressedTo, awaiting, isOwn, visible, type HandoverViewer } from './visibility.js';

export interface HandoverRoutesOptions {
  handovers: HandoverStore;
  /** Incidents. */
  store: () => EventStore;
  /** The audit log every handover and acknowledgement is written to. */
  audit: AuditRecorder;
  /** Accounts: when a person last signed in (the start of their shift) and who is in a supervisor's team. */
  people: People;
  now?: () => number;
}

function send(reply: FastifyReply, status: 400 | 403 | 404 | 409, body: ApiError): FastifyReply {
  return reply.code(status).send(body);
}

/**
 * HTTP routes of shift handovers: the summary prepared for the caller's shift, ending a shift, the handovers one
 * may see and acknowledging the one waiting for one. Every handover and acknowledgement is audited.
 */
export function handoverRoutes(options: HandoverRoutesOptions): RouteModule {
  const now = options.now ?? Date.now;
  const { handovers, people } = options;

  /** The caller as a viewer of handovers (a request without a resolved caller sees nothing). */
  async function viewerOf(req: FastifyRequest): Promise<HandoverViewer> {
    const p: Principal | undefined = req.principal;
    const team = p?.team;
    const teamMembers = new Set<string>();
    if (team && p?.permissions?.has('handover.review')) {
      for (const u of await people.store.listUsers())
        if (u.team?.toLowerCase() === team.toLowerCase()) teamMembers.add(u.name.toLowerCase());
    }
    return {
      user: requestActor(req),
      role: p?.role,
      permissions: p?.permissions ?? new Set(),
      cameras: p?.cameras ?? CameraScope.of([], [], []),
      ...(team ? { team } : {}),
      teamMembers,
    };
  }

  /** The caller's shift so far: since their last handover or sign-in, at most MAX_SHIFT_MS. */
  async function summaryFor(req: FastifyRequest): Promise<HandoverSummary> {
    const user = requestActor(req);
    const toTs = now();
    const [last, account] = await Promise.all([handovers.lastBy(user), people.store.getUser(user)]);
    const fromTs = Math.min(
      toTs,
      Math.max(toTs - MAX_SHIFT_MS, last?.createdTs ?? 0, account?.lastSignInTs ?? 0),
    );
    return prepareSummary({
      user,
      scope: req.principal?.cameras ?? CameraScope.of([], [], []),
      fromTs,
      toTs,
      incidents: options.store().incidents,
      outages: handovers,
    });
  }

  const audit = (req: FastifyRequest, target: string, detail: Record<string, unknown>) =>
    options.audit.record(req, 'handover', { target, detail });

  return {
    name: 'handover',
    register(app: FastifyInstance) {
      app.get(HandoverApiRoutes.draft, async (req): Promise<HandoverDraft> => {
        return { summary: await summaryFor(req), notes: '' };
      });

      app.post<{ Body: z.output<typeof NewHandoverBody> | null | undefined }>(
        HandoverApiRoutes.handovers,
        // A POST without a body ends the shift without notes.
        { schema: { body: NewHandoverBody.nullish() } },
        async (req, reply) => {
          const p = req.principal;
          // Prepared again now rather than taken from the client: what is handed over is what the records say.
          const summary = await summaryFor(req);
          const handover: Handover = {
            id: crypto.randomUUID(),
            author: requestActor(req),
            ...(p?.displayName ? { authorName: p.displayName } : {}),
            ...(p?.team ? { team: p.team } : {}),
            createdTs: summary.toTs,
            summary,
            notes: req.body?.notes ?? '',
          };
          await handovers.add(handover);
          await audit(req, handover.id, {
            kind: 'end-shift',
            fromTs: summary.fromTs,
            handled: summary.handled.length,
            open: summary.open.length,
            outages: summary.outages.length,
            ...(handover.notes ? { notes: handover.notes.slice(0, 500) } : {}),
          });
          return reply.code(201).send(handover);
        },
      );

      app.get<{ Querystring: z.output<typeof HandoverListParams> }>(
        HandoverApiRoutes.handovers,
        { schema: { querystring: HandoverListParams } },
        async (req, reply) => {
          const viewer = await viewerOf(req);
          if (!viewer.permissions.has('handover.own') && !viewer.permissions.has('handover.review'))
            return send(reply, 403, {
              error: 'forbidden',
              message: `Your role (${viewer.role ?? 'none'}) has no shift handovers: it needs "handover.own" or "handover.review".`,
            });
          const seen = (await handovers.list(2000)).filter((h) => visible(h, viewer));
          // Unacknowledged first (the ones someone still has to read), newest first within each.
          const pending = (h: Handover) => (h.acknowledgedTs === undefined ? 0 : 1);
          seen.sort((a, b) => pending(a) - pending(b) || b.createdTs - a.createdTs);
          const body: HandoverListResponse = {
            handovers: seen
              .slice(0, req.query.limit ?? 200)
              .map((h) => ({ ...h, awaitingYou: awaiting(h, viewer) })),
          };
          return body;
        },
      );

      app.post<{ Params: { id: string }; Body: z.output<typeof HandoverAckBody> | null | undefined }>(
        HandoverApiRoutes.ack,
        { schema: { body: HandoverAckBody.nullish() } },
        async (req, reply) => {
          const viewer = await viewerOf(req);
          const h = await handovers.get(req.params.id);
          const missing = { error: 'not_found', message: `no handover "${req.params.id.slice(0, 100)}"` };
          if (!h || !visible(h, viewer)) return send(reply, 404, missing);
          if (isOwn(h, viewer))
            return send(reply, 403, {
              error: 'forbidden',
              message: 'You cannot acknowledge your own handover: the guard who takes over does.',
            });
          if (h.acknowledgedTs !== undefined)
            return send(reply, 409, {
              error: 'conflict',
              message: `${h.acknowledgedName ?? h.acknowledgedBy ?? 'Someone'} acknowledged this handover already.`,
            });
          if (!addressedTo(h, viewer))
            return send(reply, 403, {
              error: 'forbidden',
              message: 'Only a guard who takes over these cameras can acknowledge this handover.',
            });
          const note = req.body?.note || undefined;
          const acknowledged = await handovers.acknowledge(h.id, {
            by: viewer.user,
            ...(req.principal?.displayName ? { name: req.principal.displayName } : {}),
            ts: now(),
            ...(note ? { note } : {}),
          });
          if (!acknowledged)
            return send(reply, 409, {
              error: 'conflict',
              message: 'Someone acknowledged this handover already.',
            });
          await audit(req, h.id, { kind: 'acknowledge', author: h.author, ...(note ? { note } : {}) });
          return acknowledged;
        },
      );
    },
  };
}
