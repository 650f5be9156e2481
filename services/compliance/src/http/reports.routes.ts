import type { App } from '@elcorp/kit';
import type { ComplianceDeps } from '../application/ports.js';
import { contentTypes } from '../application/report-content.js';
import { listReports, reportContent, reportStatus, requestReport } from '../application/reports.js';
import { authorize, callerOf } from './guard.js';
import * as s from './schemas.js';

export function registerReportRoutes(scope: App, deps: ComplianceDeps, kick: () => void): void {
  const tags = ['reports'];
  scope.post('/reports', { schema: { tags, body: s.newReport, response: { 202: s.reportStatus.pick({ id: true, status: true }) } } }, async (request, reply) => {
    await authorize(request, 'report:generate', { type: 'Report', id: 'new' });
    const report = await requestReport(deps, callerOf(request).userId, request.body);
    kick();
    return reply.code(202).send({ id: report.id, status: report.status });
  });

  scope.get('/reports', { schema: { tags, querystring: s.reportQuery, response: { 200: s.pageOf(s.reportStatus) } } }, async (request) => {
    await authorize(request, 'report:generate', { type: 'Report', id: '*' });
    return s.dto(await listReports(deps, request.query)) as never;
  });

  scope.get('/reports/:id', { schema: { tags, params: s.reportParams, response: { 200: s.reportStatus } } }, async (request) => {
    await authorize(request, 'report:generate', { type: 'Report', id: request.params.id });
    return s.dto(await reportStatus(deps, request.params.id)) as never;
  });

  scope.get('/reports/:id/content', { schema: { tags, params: s.reportParams } }, async (request, reply) => {
    await authorize(request, 'report:generate', { type: 'Report', id: request.params.id });
    const report = await reportContent(deps, request.params.id);
    return reply
      .type(contentTypes[report.format])
      .header('content-disposition', `attachment; filename="${report.type}-${request.params.id}.${report.format}"`)
      .send(report.content);
  });
}
