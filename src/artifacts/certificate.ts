/**
 * The printable certificate: a one-page US Letter landscape PDF with the achievement, its competencies, the
 * issuer and date, and a QR code of the public verification URL. The signed credential is attached to the PDF
 * (an embedded file), so the certificate carries its own proof as well as the link to the live status.
 * Deterministic for a given model: its dates come from the credential, not the clock.
 */
import PDFDocument from 'pdfkit';
import { FONT_FILES } from './fonts.js';
import { qrMatrix } from './qr.js';

export interface CertificateModel {
  readonly kind: string;
  readonly achievementName: string;
  readonly description: string;
  readonly recipientName: string | null;
  readonly competencies: readonly string[];
  readonly results: readonly string[];
  readonly issuerName: string;
  readonly creatorName: string | null;
  readonly awardedOn: string;
  readonly awardedAt: Date;
  readonly verificationUrl: string;
  readonly credentialId: string;
  /** The signed credential, attached as credential.json. */
  readonly credentialText: string;
}

const INK = '#1b2430';
const MUTED = '#5b6573';
const ACCENT = '#1e3a8a';
const GOLD = '#b8963e';

/** A plain-text excerpt of Markdown: no markup, at most `max` characters, cut at a word. */
export function plainExcerpt(markdown: string, max: number): string {
  const text = markdown
    .replace(/[*_`#>]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  return `${cut.slice(0, cut.lastIndexOf(' ') > max / 2 ? cut.lastIndexOf(' ') : cut.length).trimEnd()}…`;
}

/**
 * One line of text that fits `width`: the largest size from `max` down to `min`, then cut with an ellipsis
 * (pdfkit wraps long text even with lineBreak false, so a long name would run into the next line).
 */
function fitLine(
  doc: PDFKit.PDFDocument,
  text: string,
  font: string,
  max: number,
  min: number,
  width: number,
  spacing = 0,
): { text: string; size: number } {
  doc.font(font);
  const widthAt = (t: string, size: number) => doc.fontSize(size).widthOfString(t, { characterSpacing: spacing });
  // A little slack: pdfkit's line wrapper measures slightly differently from widthOfString.
  const room = width - 6;
  for (let size = max; size >= min; size -= 0.5) if (widthAt(text, size) <= room) return { text, size };
  let cut = [...text];
  while (cut.length > 1 && widthAt(`${cut.join('').trimEnd()}…`, min) > room) cut = cut.slice(0, -1);
  return { text: `${cut.join('').trimEnd()}…`, size: min };
}

function drawQr(doc: PDFKit.PDFDocument, url: string, x: number, y: number, size: number): void {
  const qr = qrMatrix(url);
  const count = qr.size;
  const quiet = 2;
  const cell = size / (count + quiet * 2);
  doc.rect(x, y, size, size).fill('#ffffff');
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (qr.isDark(row, col)) doc.rect(x + (col + quiet) * cell, y + (row + quiet) * cell, cell, cell);
    }
  }
  doc.fill('#000000');
}

export async function renderCertificate(model: CertificateModel): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'LETTER',
    layout: 'landscape',
    margin: 0,
    compress: true,
    info: {
      Title: `${model.achievementName}: ${model.kind} certificate`,
      Author: model.issuerName,
      Subject: `Open Badges 3.0 credential ${model.credentialId}`,
      Keywords: 'Open Badges 3.0, verifiable credential, micro-credential',
      CreationDate: model.awardedAt,
      ModDate: model.awardedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.registerFont('sans', FONT_FILES.regular);
  doc.registerFont('sans-bold', FONT_FILES.bold);
  doc.registerFont('serif', FONT_FILES.serif);
  doc.registerFont('serif-bold', FONT_FILES.serifBold);

  const W = 792;
  const H = 612;
  // Frame.
  doc
    .rect(18, 18, W - 36, H - 36)
    .lineWidth(6)
    .stroke(ACCENT);
  doc
    .rect(30, 30, W - 60, H - 60)
    .lineWidth(1.2)
    .stroke(GOLD);

  const left = 72;
  const width = W - 2 * left;
  const header = fitLine(doc, model.issuerName.toUpperCase(), 'sans-bold', 11, 7.5, width, 1.5);
  doc.fillColor(MUTED).fontSize(header.size).text(header.text, left, 58, { width, align: 'center', characterSpacing: 1.5 });
  doc.fillColor(ACCENT).font('serif-bold').fontSize(26).text(`Certificate of ${model.kind}`, left, 82, { width, align: 'center' });
  doc.fillColor(INK).font('serif').fontSize(13).text('This certifies that', left, 126, { width, align: 'center' });
  const recipient = fitLine(
    doc,
    model.recipientName ?? 'the educator identified in this credential',
    'serif-bold',
    model.recipientName === null ? 15 : 22,
    12,
    width,
  );
  doc.fontSize(recipient.size).text(recipient.text, left, 146 + (22 - Math.max(recipient.size, 15)) / 2, { width, align: 'center' });
  doc.font('serif').fontSize(13).text('has demonstrated proficiency in the competency', left, 180, { width, align: 'center' });
  doc
    .fillColor(ACCENT)
    .font('serif-bold')
    .fontSize(24)
    .text(model.achievementName, left, 202, { width, align: 'center', height: 64, ellipsis: true });

  let y = doc.y + 8;
  if (model.description !== '') {
    doc
      .fillColor(INK)
      .font('sans')
      .fontSize(10.5)
      .text(plainExcerpt(model.description, 300), left + 40, y, { width: width - 80, align: 'center', height: 44, ellipsis: true });
    y = doc.y + 10;
  }
  if (model.competencies.length > 0) {
    doc
      .fillColor(MUTED)
      .font('sans-bold')
      .fontSize(9)
      .text('COMPETENCIES', left + 40, y, { width: width - 80, align: 'center', characterSpacing: 1 });
    doc
      .fillColor(INK)
      .font('sans')
      .fontSize(10)
      .text(model.competencies.slice(0, 4).join('  ·  '), left + 40, doc.y + 2, {
        width: width - 80,
        align: 'center',
        height: 40,
        ellipsis: true,
      });
  }

  // Footer: who and when on the left, the QR code on the right.
  const footerTop = 420;
  doc
    .moveTo(left, footerTop - 12)
    .lineTo(W - left, footerTop - 12)
    .lineWidth(0.6)
    .stroke('#dfe3e8');
  const facts: Array<[string, string]> = [
    ['Issued by', model.issuerName],
    ...(model.creatorName !== null && model.creatorName !== model.issuerName
      ? [['Created by', model.creatorName] as [string, string]]
      : []),
    ['Awarded', model.awardedOn],
    ...(model.results.length > 0 ? [['Assessment', model.results.slice(0, 3).join('; ')] as [string, string]] : []),
  ];
  let fy = footerTop;
  for (const [label, value] of facts) {
    doc.fillColor(MUTED).font('sans-bold').fontSize(8.5).text(label.toUpperCase(), left, fy, { width: 110, characterSpacing: 0.6 });
    doc
      .fillColor(INK)
      .font('sans')
      .fontSize(10.5)
      .text(value, left + 110, fy - 1.5, { width: 380, height: 28, ellipsis: true });
    fy = Math.max(doc.y, fy + 14) + 6;
  }

  const qrSize = 120;
  const qrX = W - left - qrSize;
  drawQr(doc, model.verificationUrl, qrX, footerTop - 6, qrSize);
  doc.link(qrX, footerTop - 6, qrSize, qrSize, model.verificationUrl);
  doc
    .fillColor(MUTED)
    .font('sans')
    .fontSize(8)
    .text('Scan or open to verify', qrX - 40, footerTop + qrSize - 2, { width: qrSize + 40, align: 'right', lineBreak: false });

  doc
    .fillColor(MUTED)
    .font('sans')
    .fontSize(7.5)
    .text(
      `Verify at ${model.verificationUrl}. This certificate shows an Open Badges 3.0 verifiable credential; the signed credential is attached to this PDF as credential.json and can be checked by any standards-based verifier.`,
      left,
      H - 66,
      { width: width - qrSize - 24, align: 'left', link: model.verificationUrl },
    );

  doc.file(Buffer.from(model.credentialText, 'utf8'), {
    name: 'credential.json',
    type: 'application/vc+ld+json',
    description: 'The signed Open Badges 3.0 credential this certificate shows',
    creationDate: model.awardedAt,
    modifiedDate: model.awardedAt,
  });
  doc.end();
  return done;
}
