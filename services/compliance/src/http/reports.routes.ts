import type { App } from '@elcorp/kit';
import type { ComplianceDeps } from '../application/ports.js';
import { contentTypes } from '../application/report-content.js';
import { listReports, reportContent, reportStatus, requestReport } from '../application/reports.js';
import { authorize, callerOf } from './guard.js';
import * as c from '@elcorp/contracts/http';
import { dto } from './dto.js';

export function registerReportRoutes(scope: App, deps: ComplianceDeps, kick: () => void): void {
  const tags = ['reports'];
  scope.post('/reports', { schema: { tags, body: c.reportBody, response: { 202: c.reportAcceptedSchema } } }, async (request, reply) => {
    await authorize(request, 'report:generate', { type: 'Report', id: 'new' });
    const report = await requestReport(deps, callerOf(request).userId, request.body);
    kick();
    return reply.code(202).send({ id: report.id, status: report.status });
  });

  scope.get('/reports', { schema: { tags, querystring: c.reportListQuery, response: { 200: c.pageSchema(c.reportStatusSchema) } } }, async (request) => {
    await authorize(request, 'report:generate', { type: 'Report', id: '*' });
    return dto(await listReports(deps, request.query)) as never;
  });

  scope.get('/reports/:id', { schema: { tags, params: c.idParams, response: { 200: c.reportStatusSchema } } }, async (request) => {
    await authorize(request, 'report:generate', { type: 'Report', id: request.params.id });
    return dto(await reportStatus(deps, request.params.id)) as never;
  });

  scope.get('/reports/:id/content', { schema: { tags, params: c.idParams } }, async (request, reply) => {
    await authorize(request, 'report:generate', { type: 'Report', id: request.params.id });
    const report = await reportContent(deps, request.params.id);
    return reply
      .type(contentTypes[report.format])
      .header('content-disposition', `attachment; filename="${report.type}-${request.params.id}.${report.format}"`)
      .send(report.content);
  });
}
