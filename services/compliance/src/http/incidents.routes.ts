import type { App } from '@elcorp/kit';
import { getIncident, listIncidents, openIncident, updateIncident } from '../application/incidents.js';
import type { ComplianceDeps } from '../application/ports.js';
import { listSlaBreaches } from '../application/sla-breaches.js';
import { authorize, callerOf } from './guard.js';
import * as s from './schemas.js';

export function registerIncidentRoutes(scope: App, deps: ComplianceDeps): void {
  const tags = ['incidents'];
  scope.post('/incidents', { schema: { tags, body: s.newIncident, response: { 201: s.incident } } }, async (request, reply) => {
    await authorize(request, 'incident:manage', { type: 'Incident', id: 'new' });
    return reply.code(201).send(s.dto(await openIncident(deps, callerOf(request).userId, request.body)) as never);
  });

  scope.get('/incidents', { schema: { tags, querystring: s.incidentQuery, response: { 200: s.pageOf(s.incident) } } }, async (request) => {
    await authorize(request, 'incident:manage', { type: 'Incident', id: '*' });
    return s.dto(await listIncidents(deps, request.query)) as never;
  });

  scope.get('/incidents/:id', { schema: { tags, params: s.incidentParams, response: { 200: s.incidentWithHistory } } }, async (request) => {
    await authorize(request, 'incident:manage', { type: 'Incident', id: request.params.id });
    return s.dto(await getIncident(deps, request.params.id)) as never;
  });

  scope.patch('/incidents/:id', { schema: { tags, params: s.incidentParams, body: s.incidentChange, response: { 200: s.incident } } }, async (request) => {
    await authorize(request, 'incident:manage', { type: 'Incident', id: request.params.id });
    return s.dto(await updateIncident(deps, callerOf(request).userId, request.params.id, request.body)) as never;
  });

  scope.get('/sla/breaches', { schema: { tags: ['sla'], querystring: s.breachQuery, response: { 200: s.pageOf(s.breach) } } }, async (request) => {
    await authorize(request, 'audit:view', { type: 'AuditLog', id: 'sla-breaches' });
    return s.dto(await listSlaBreaches(deps, request.query)) as never;
  });
}
