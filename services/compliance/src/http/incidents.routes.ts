import type { App } from '@elcorp/kit';
import { getIncident, listIncidents, openIncident, updateIncident } from '../application/incidents.js';
import type { ComplianceDeps } from '../application/ports.js';
import { listSlaBreaches } from '../application/sla-breaches.js';
import { authorize, callerOf } from './guard.js';
import * as c from '@elcorp/contracts/http';
import { dto } from './dto.js';

export function registerIncidentRoutes(scope: App, deps: ComplianceDeps): void {
  const tags = ['incidents'];
  scope.post('/incidents', { schema: { tags, body: c.incidentBody, response: { 201: c.incidentSchema } } }, async (request, reply) => {
    await authorize(request, 'incident:manage', { type: 'Incident', id: 'new' });
    return reply.code(201).send(dto(await openIncident(deps, callerOf(request).userId, request.body)) as never);
  });

  scope.get('/incidents', { schema: { tags, querystring: c.incidentListQuery, response: { 200: c.pageSchema(c.incidentSchema) } } }, async (request) => {
    await authorize(request, 'incident:manage', { type: 'Incident', id: '*' });
    return dto(await listIncidents(deps, request.query)) as never;
  });

  scope.get('/incidents/:id', { schema: { tags, params: c.idParams, response: { 200: c.incidentWithHistorySchema } } }, async (request) => {
    await authorize(request, 'incident:manage', { type: 'Incident', id: request.params.id });
    return dto(await getIncident(deps, request.params.id)) as never;
  });

  scope.patch('/incidents/:id', { schema: { tags, params: c.idParams, body: c.incidentChangeBody, response: { 200: c.incidentSchema } } }, async (request) => {
    await authorize(request, 'incident:manage', { type: 'Incident', id: request.params.id });
    return dto(await updateIncident(deps, callerOf(request).userId, request.params.id, request.body)) as never;
  });

  scope.get('/sla/breaches', { schema: { tags: ['sla'], querystring: c.slaBreachQuery, response: { 200: c.pageSchema(c.slaBreachSchema) } } }, async (request) => {
    await authorize(request, 'audit:view', { type: 'AuditLog', id: 'sla-breaches' });
    return dto(await listSlaBreaches(deps, request.query)) as never;
  });
}
