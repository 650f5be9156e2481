import PDFDocument from 'pdfkit';
import type { Receipt } from '../application/receipts.js';

/** Renders a receipt as a one-page PDF (pdfkit's built-in Helvetica: no font files to ship). */
export function renderReceiptPdf(receipt: Receipt): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `Receipt ${receipt.transferId}`, Author: 'Elcorp payments' } });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(18).text('Elcorp payment receipt');
    doc.moveDown();
    doc.fontSize(11);
    const line = (label: string, value: string) => doc.text(`${label}: ${value}`);
    line('Transfer', receipt.transferId);
    line('Status', receipt.status);
    line('Amount', `${receipt.amount} ${receipt.currency}`);
    line('From', `${receipt.from.name} (account ${receipt.from.accountId})`);
    line('To', `${receipt.to.name} (account ${receipt.to.accountId})`);
    if (receipt.description) line('Description', receipt.description);
    line('Created', receipt.createdAt);
    line('Posted', receipt.postedAt ?? 'not posted');
    line('Issued', receipt.issuedAt);
    doc.end();
  });
}
