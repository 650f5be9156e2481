import PDFDocument from 'pdfkit';
import type { reportFormats, reportTypes } from '@elcorp/contracts/http';
import { csvLine } from '../domain/csv.js';

export type ReportType = (typeof reportTypes)[number];
export type ReportFormat = (typeof reportFormats)[number];

export interface ReportTable {
  type: ReportType;
  from: Date;
  to: Date;
  generatedAt: Date;
  columns: string[];
  rows: Array<Array<string | number>>;
  truncated: boolean;
  footer?: string;
}

export const contentTypes: Record<ReportFormat, string> = { json: 'application/json', csv: 'text/csv; charset=utf-8', pdf: 'application/pdf' };

const titles: Record<ReportType, string> = {
  transactions: 'Transactions report',
  access: 'Access report',
  sla: 'SLA breaches report',
  'audit-summary': 'Audit log summary',
};

export async function renderReport(table: ReportTable, format: ReportFormat): Promise<Buffer> {
  if (format === 'json') {
    const rows = table.rows.map((row) => Object.fromEntries(table.columns.map((c, i) => [c, row[i]])));
    return Buffer.from(JSON.stringify({ type: table.type, from: table.from, to: table.to, generatedAt: table.generatedAt, truncated: table.truncated, ...(table.footer ? { note: table.footer } : {}), rows }));
  }
  if (format === 'csv') return Buffer.from([csvLine(table.columns), ...table.rows.map((r) => csvLine(r))].join(''), 'utf8');
  return renderPdf(table);
}

/** A plain PDF: title, period, one line per row in a fixed-width font, then the footer. */
function renderPdf(table: ReportTable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 40, info: { Title: titles[table.type], Producer: 'Elcorp compliance' } });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.font('Helvetica-Bold').fontSize(16).text(`Elcorp — ${titles[table.type]}`);
    doc.font('Helvetica').fontSize(9).text(`Period ${table.from.toISOString()} to ${table.to.toISOString()}; generated ${table.generatedAt.toISOString()}; ${table.rows.length} rows`);
    doc.moveDown();
    doc.font('Courier-Bold').fontSize(7).text(table.columns.join(' | '));
    doc.font('Courier');
    for (const row of table.rows) doc.text(row.map(String).join(' | '));
    if (table.rows.length === 0) doc.font('Helvetica').text('No records in this period.');
    if (table.truncated) doc.font('Helvetica').text('The report was cut at its row limit.');
    if (table.footer) doc.moveDown().font('Helvetica').fontSize(8).text(table.footer);
    doc.end();
  });
}
