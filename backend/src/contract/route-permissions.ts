import { ApiRoutes } from './api.js';
import { AuditApiRoutes } from './audit.js';
import { BackupApiRoutes } from './backup.js';
import { DetectApiRoutes } from './detect-api.js';
import { EventsApiRoutes } from './events-api.js';
import { HandoverApiRoutes } from './handover.js';
import { IncidentApiRoutes } from './incidents.js';
import { InvestigationApiRoutes } from './investigation.js';
import { LayoutsApiRoutes } from './layouts-api.js';
import { PeopleApiRoutes, routeKey, type RouteRule } from './people.js';
import { VideoRoutes } from './video-api.js';

const B = BackupApiRoutes;
const E = EventsApiRoutes;
const I = IncidentApiRoutes;
const V = VideoRoutes;

/**
 * The permission every route of the API needs, keyed by method and route pattern (`routeKey`). The server checks
 * each request against the entry of the route the router matched (never the URL as sent), and refuses to start
 * when a registered route has no entry. Camera-scoped routes further filter or refuse by the caller's camera
 * rights inside their handlers (a hidden camera answers 404, as if it did not exist).
 */
export const ROUTE_PERMISSIONS: Readonly<Record<string, RouteRule>> = {
  // The server itself.
  [routeKey('GET', ApiRoutes.health)]: 'public',
  [routeKey('GET', ApiRoutes.login)]: 'public',
  [routeKey('POST', ApiRoutes.authSession)]: 'signed-in',
  [routeKey('POST', ApiRoutes.logout)]: 'signed-in',
  [routeKey('GET', ApiRoutes.session)]: 'signed-in',
  [routeKey('POST', PeopleApiRoutes.signIn)]: 'public',
  [routeKey('GET', PeopleApiRoutes.status)]: 'public',
  [routeKey('POST', PeopleApiRoutes.setup)]: 'signed-in',

  // People, camera groups, API tokens.
  [routeKey('GET', PeopleApiRoutes.users)]: 'users.manage',
  [routeKey('POST', PeopleApiRoutes.users)]: 'users.manage',
  [routeKey('GET', PeopleApiRoutes.user)]: 'users.manage',
  [routeKey('PUT', PeopleApiRoutes.user)]: 'users.manage',
  [routeKey('DELETE', PeopleApiRoutes.user)]: 'users.manage',
  // One's own password (with the current one), or anyone's for an administrator: decided in the handler.
  [routeKey('POST', PeopleApiRoutes.userPassword)]: 'signed-in',
  [routeKey('GET', PeopleApiRoutes.groups)]: 'users.manage',
  [routeKey('PUT', PeopleApiRoutes.group)]: 'users.manage',
  [routeKey('DELETE', PeopleApiRoutes.group)]: 'users.manage',
  [routeKey('GET', PeopleApiRoutes.tokens)]: 'users.manage',
  [routeKey('POST', PeopleApiRoutes.tokens)]: 'users.manage',
  [routeKey('DELETE', PeopleApiRoutes.token)]: 'users.manage',
  [routeKey('GET', PeopleApiRoutes.settings)]: 'users.manage',
  [routeKey('PUT', PeopleApiRoutes.settings)]: 'users.manage',
  [routeKey('GET', ApiRoutes.kibana)]: 'dashboards.view',
  [routeKey('GET', ApiRoutes.openapi)]: 'system.view',
  [routeKey('GET', ApiRoutes.metrics)]: 'system.view',
  [routeKey('GET', ApiRoutes.realtime)]: 'live.view',

  // Cameras and video.
  [routeKey('GET', V.cameras)]: 'live.view',
  [routeKey('GET', V.camera)]: 'live.view',
  [routeKey('POST', V.cameras)]: 'cameras.manage',
  [routeKey('PUT', V.camera)]: 'cameras.manage',
  [routeKey('DELETE', V.camera)]: 'cameras.manage',
  [routeKey('POST', V.probe)]: 'cameras.manage',
  [routeKey('GET', V.snapshot)]: 'live.view',
  [routeKey('GET', V.live)]: 'live.view',
  [routeKey('GET', V.recordings)]: 'recordings.view',
  [routeKey('GET', V.timeline)]: 'recordings.view',
  [routeKey('GET', V.clip)]: 'recordings.view',
  [routeKey('GET', V.retentionLog)]: 'storage.manage',
  [routeKey('GET', V.retention)]: 'storage.manage',
  [routeKey('PUT', V.retention)]: 'storage.manage',
  [routeKey('PUT', V.cameraRetention)]: 'cameras.manage',
  [routeKey('GET', V.storage)]: 'storage.manage',
  [routeKey('GET', V.holds)]: 'recordings.hold',
  [routeKey('POST', V.holds)]: 'recordings.hold',
  [routeKey('DELETE', V.hold)]: 'recordings.hold',

  // Detection settings.
  [routeKey('GET', DetectApiRoutes.zones)]: 'live.view',
  [routeKey('PUT', DetectApiRoutes.zones)]: 'rules.manage',
  [routeKey('GET', DetectApiRoutes.alertRules)]: 'alerts.handle',
  [routeKey('GET', DetectApiRoutes.alertRule)]: 'alerts.handle',
  [routeKey('POST', DetectApiRoutes.alertRules)]: 'rules.manage',
  [routeKey('PUT', DetectApiRoutes.alertRule)]: 'rules.manage',
  [routeKey('DELETE', DetectApiRoutes.alertRule)]: 'rules.manage',
  [routeKey('GET', DetectApiRoutes.stats)]: 'dashboards.view',

  // Wall layouts.
  [routeKey('GET', LayoutsApiRoutes.layouts)]: 'live.view',
  [routeKey('GET', LayoutsApiRoutes.layout)]: 'live.view',
  [routeKey('PUT', LayoutsApiRoutes.layout)]: 'layouts.manage',
  [routeKey('DELETE', LayoutsApiRoutes.layout)]: 'layouts.manage',

  // Events, alerts, searches.
  [routeKey('GET', E.events)]: 'events.recent',
  [routeKey('GET', E.facets)]: 'events.recent',
  [routeKey('GET', E.histogram)]: 'events.recent',
  [routeKey('GET', E.event)]: 'events.recent',
  [routeKey('PATCH', E.event)]: 'events.annotate',
  [routeKey('GET', E.snapshot)]: 'events.recent',
  [routeKey('GET', E.sightings)]: 'events.recent',
  [routeKey('GET', E.alerts)]: 'alerts.handle',
  [routeKey('POST', E.alertAck)]: 'alerts.handle',
  [routeKey('POST', E.alertResolve)]: 'alerts.handle',
  [routeKey('GET', E.savedSearches)]: 'events.search',
  [routeKey('POST', E.savedSearches)]: 'events.search',
  [routeKey('DELETE', E.savedSearch)]: 'events.search',
  [routeKey('GET', E.liveStats)]: 'dashboards.view',

  // The audit log (a supervisor's is narrowed to their team inside the handler).
  [routeKey('GET', AuditApiRoutes.audit)]: 'audit.view',
  [routeKey('GET', AuditApiRoutes.auditCsv)]: 'audit.view',
  [routeKey('GET', AuditApiRoutes.auditVerify)]: 'audit.view',

  // Incidents and triage.
  [routeKey('GET', I.incidents)]: 'alerts.handle',
  [routeKey('GET', I.incident)]: 'alerts.handle',
  [routeKey('POST', I.ack)]: 'alerts.handle',
  [routeKey('POST', I.resolve)]: 'alerts.handle',
  [routeKey('POST', I.bulkAck)]: 'alerts.handle',
  [routeKey('POST', I.falsePositive)]: 'alerts.handle',
  [routeKey('GET', I.snoozes)]: 'alerts.handle',
  [routeKey('POST', I.snoozes)]: 'alerts.handle',
  [routeKey('DELETE', I.snooze)]: 'alerts.handle',
  [routeKey('GET', I.suppressions)]: 'rules.manage',
  [routeKey('DELETE', I.suppression)]: 'rules.manage',
  [routeKey('GET', I.feedback)]: 'rules.manage',
  [routeKey('GET', I.feedbackExport)]: 'rules.manage',
  [routeKey('GET', I.feedbackImage)]: 'rules.manage',
  [routeKey('GET', I.alertSettings)]: 'alerts.handle',
  [routeKey('PUT', I.alertSettings)]: 'settings.manage',
  [routeKey('POST', I.channelTest)]: 'settings.manage',

  // Shift handover. The list shows one's own and those addressed to one, a supervisor's team's (handover.review),
  // all of them to an administrator: decided in the handler.
  [routeKey('GET', HandoverApiRoutes.draft)]: 'handover.own',
  [routeKey('GET', HandoverApiRoutes.handovers)]: 'signed-in',
  [routeKey('POST', HandoverApiRoutes.handovers)]: 'handover.own',
  [routeKey('POST', HandoverApiRoutes.ack)]: 'handover.own',

  // Investigation: the site map (placing cameras is camera management; the map shows only the cameras one sees)
  // and trails across cameras (those of the archive; a trail through a hidden camera answers as missing).
  [routeKey('GET', InvestigationApiRoutes.sitemap)]: 'live.view',
  [routeKey('GET', InvestigationApiRoutes.sitemapPlan)]: 'live.view',
  [routeKey('PUT', InvestigationApiRoutes.sitemapPlan)]: 'cameras.manage',
  [routeKey('PUT', InvestigationApiRoutes.sitemapCameras)]: 'cameras.manage',
  [routeKey('GET', InvestigationApiRoutes.trails)]: 'events.search',
  [routeKey('POST', InvestigationApiRoutes.trails)]: 'events.search',
  [routeKey('GET', InvestigationApiRoutes.trail)]: 'events.search',
  [routeKey('PUT', InvestigationApiRoutes.trail)]: 'events.search',
  [routeKey('DELETE', InvestigationApiRoutes.trail)]: 'events.search',

  // Evidence export (of a trail too: its cameras over the span of its confirmed sightings).
  [routeKey('GET', B.exportKey)]: 'export.create',
  [routeKey('POST', B.export)]: 'export.create',
  [routeKey('GET', B.exportDownload)]: 'export.create',

  // Backups.
  [routeKey('GET', B.targets)]: 'backup.manage',
  [routeKey('POST', B.targets)]: 'backup.manage',
  [routeKey('PUT', B.target)]: 'backup.manage',
  [routeKey('DELETE', B.target)]: 'backup.manage',
  [routeKey('POST', B.targetTest)]: 'backup.manage',
  [routeKey('POST', B.savedTargetTest)]: 'backup.manage',
  [routeKey('GET', B.targetBackups)]: 'backup.manage',
  [routeKey('GET', B.jobs)]: 'backup.manage',
  [routeKey('POST', B.jobs)]: 'backup.manage',
  [routeKey('PUT', B.job)]: 'backup.manage',
  [routeKey('DELETE', B.job)]: 'backup.manage',
  [routeKey('POST', B.jobRun)]: 'backup.manage',
  [routeKey('POST', B.jobCancel)]: 'backup.manage',
  [routeKey('GET', B.progress)]: 'backup.manage',
  [routeKey('GET', B.history)]: 'backup.manage',
  [routeKey('POST', B.verify)]: 'backup.manage',
  [routeKey('POST', B.restore)]: 'backup.manage',
};
