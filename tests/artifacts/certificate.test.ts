import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainExcerpt, renderCertificate, type CertificateModel } from '../../src/artifacts/certificate.js';
import { certificateModelOf } from '../../src/artifacts/model.js';

// jsqr is CommonJS: its module.exports is the decoder, with `default` pointing at itself (which is what the types describe).
const jsQR = jsQRModule.default;
const RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));
const VERIFY_URL = 'https://badges.example.org/verify/0b8f6c1e-9a44-4b2c-8f0e-6c1d2a3b4c5d';
const VERSION = 'https://badges.example.org/achievements/5d2c/versions/3';

/** A signed-looking OB 3.0 credential, shaped like src/credentials/build.ts makes them. */
const credential = {
  '@context': [
    'https://www.w3.org/ns/credentials/v2',
    'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
    'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json',
  ],
  id: 'https://badges.example.org/credentials/0b8f6c1e-9a44-4b2c-8f0e-6c1d2a3b4c5d',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  name: 'Formative Assessment: Checking for Understanding',
  issuer: {
    id: 'did:web:badges.example.org:issuers:7f3a',
    type: ['Profile'],
    name: 'Example School District',
    url: 'https://district.example.org',
  },
  validFrom: '2026-11-02T09:30:00Z',
  awardedDate: '2026-11-02T09:30:00Z',
  credentialSubject: {
    type: ['AchievementSubject'],
    identifier: [
      {
        type: 'IdentityObject',
        identityType: 'emailAddress',
        hashed: true,
        identityHash: 'sha256$5b7c0e1a9d3f4c2b8e6a1d0f9c8b7a6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a',
        salt: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      },
      { type: 'IdentityObject', identityType: 'name', hashed: false, identityHash: 'Zoë Ramírez' },
    ],
    achievement: {
      id: VERSION,
      type: ['Achievement'],
      achievementType: 'MicroCredential',
      name: 'Formative Assessment: Checking for Understanding',
      description:
        'The educator uses a **range** of checks for understanding during instruction and _adjusts_ teaching in response to what students show.',
      criteria: { narrative: 'Submit a lesson plan, two samples of student work and a reflection.' },
      creator: { id: 'https://example.org/learning-network', type: ['Profile'], name: 'Example Educator Learning Network' },
      alignment: [
        {
          type: ['Alignment'],
          targetName: 'InTASC Standard 6: Assessment',
          targetCode: 'InTASC-6',
          targetUrl: 'https://ccsso.org/intasc/standard-6',
          targetFramework: 'InTASC Model Core Teaching Standards',
        },
        { type: ['Alignment'], targetName: 'Using data to inform instruction', targetUrl: 'https://example.org/competencies/data' },
      ],
      resultDescription: [
        {
          id: `${VERSION}#rubric/lesson-plan`,
          type: ['ResultDescription'],
          name: 'Lesson plan',
          resultType: 'RubricCriterionLevel',
          requiredLevel: `${VERSION}#rubric/lesson-plan/proficient`,
          rubricCriterionLevel: [
            { id: `${VERSION}#rubric/lesson-plan/developing`, type: ['RubricCriterionLevel'], name: 'Developing' },
            { id: `${VERSION}#rubric/lesson-plan/proficient`, type: ['RubricCriterionLevel'], name: 'Proficient' },
            { id: `${VERSION}#rubric/lesson-plan/exemplary`, type: ['RubricCriterionLevel'], name: 'Exemplary' },
          ],
        },
        {
          id: `${VERSION}#rubric/reflection`,
          type: ['ResultDescription'],
          name: 'Reflection',
          resultType: 'RubricCriterionLevel',
          rubricCriterionLevel: [
            { id: `${VERSION}#rubric/reflection/developing`, type: ['RubricCriterionLevel'], name: 'Developing' },
            { id: `${VERSION}#rubric/reflection/proficient`, type: ['RubricCriterionLevel'], name: 'Proficient' },
          ],
        },
      ],
    },
    result: [
      { type: ['Result'], resultDescription: `${VERSION}#rubric/lesson-plan`, achievedLevel: `${VERSION}#rubric/lesson-plan/exemplary` },
      { type: ['Result'], resultDescription: `${VERSION}#rubric/reflection`, achievedLevel: `${VERSION}#rubric/reflection/proficient` },
    ],
    activityEndDate: '2026-11-01T15:00:00Z',
  },
  evidence: [{ id: 'https://portfolio.example.org/submissions/123/lesson-plan', type: ['Evidence'], name: 'Lesson plan' }],
  credentialSchema: [
    {
      id: 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json',
      type: '1EdTechJsonSchemaValidator2019',
    },
  ],
  credentialStatus: {
    id: 'https://badges.example.org/status/1#42',
    type: 'BitstringStatusListEntry',
    statusPurpose: 'revocation',
    statusListIndex: '42',
    statusListCredential: 'https://badges.example.org/status/1',
  },
  proof: {
    type: 'DataIntegrityProof',
    cryptosuite: 'eddsa-rdfc-2022',
    created: '2026-11-02T09:30:00Z',
    verificationMethod: 'did:web:badges.example.org:issuers:7f3a#key-1',
    proofPurpose: 'assertionMethod',
    proofValue: 'z5vgFc6pbvWdCgUnXdD8NkAm7QnKpFt1UtyTbnTAAWyhj9Rr8mB2bWqWw2Ctf7YzhrTR1kkNNGZvbRBrWmPHiZrR',
  },
};
const credentialText = JSON.stringify(credential, null, 2);

let workDir: string;
let pdf: Buffer;

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'certificate-test-'));
  pdf = await renderCertificate(certificateModelOf(credential, credentialText, VERIFY_URL));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** Writes the PDF and rasterises every page with pdftoppm; returns the page PNG paths. */
function rasterisePages(bytes: Buffer, name: string, dpi = 150): string[] {
  const dir = mkdtempSync(path.join(workDir, `${name}-`));
  const file = path.join(dir, `${name}.pdf`);
  writeFileSync(file, bytes);
  execFileSync('/usr/bin/pdftoppm', ['-png', '-r', String(dpi), file, path.join(dir, 'page')]);
  return readdirSync(dir)
    .filter((f) => /^page-\d+\.png$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

function pdfText(bytes: Buffer, name: string): string {
  const file = path.join(workDir, `${name}.pdf`);
  writeFileSync(file, bytes);
  return execFileSync('/usr/bin/pdftotext', ['-enc', 'UTF-8', file, '-']).toString('utf8');
}

interface Word {
  readonly text: string;
  readonly xMin: number;
  readonly yMin: number;
  readonly xMax: number;
  readonly yMax: number;
}

/** Every word on the page with its bounding box, from `pdftotext -bbox`. */
function pdfWords(bytes: Buffer, name: string): Word[] {
  const file = path.join(workDir, `${name}.pdf`);
  writeFileSync(file, bytes);
  const html = execFileSync('/usr/bin/pdftotext', ['-bbox', '-enc', 'UTF-8', file, '-']).toString('utf8');
  return [...html.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)].map((m) => ({
    xMin: Number(m[1]),
    yMin: Number(m[2]),
    xMax: Number(m[3]),
    yMax: Number(m[4]),
    text: m[5]!,
  }));
}

/** Pairs of words whose boxes overlap by more than a point both ways: text drawn over other text. */
function overlaps(words: readonly Word[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < words.length; i++) {
    for (let j = i + 1; j < words.length; j++) {
      const a = words[i]!;
      const b = words[j]!;
      const dx = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
      const dy = Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin);
      if (dx > 1 && dy > 1) found.push(`"${a.text}" over "${b.text}"`);
    }
  }
  return found;
}

function decodeQr(pngPath: string): string | undefined {
  const page = PNG.sync.read(readFileSync(pngPath));
  const rgba = (image: PNG) => new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length);
  const whole = jsQR(rgba(page), page.width, page.height);
  if (whole !== null) return whole.data;
  // Fall back to the lower-right quadrant, where the code is drawn.
  const width = Math.floor(page.width / 2);
  const height = Math.floor(page.height / 2);
  const quadrant = new PNG({ width, height });
  PNG.bitblt(page, quadrant, page.width - width, page.height - height, width, height, 0, 0);
  return jsQR(rgba(quadrant), width, height)?.data;
}

const squash = (text: string) => text.replace(/\s+/g, ' ');

describe(renderCertificate.name, () => {
  it('makes a one-page PDF whose QR code opens the verification URL', () => {
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pages = rasterisePages(pdf, 'certificate');
    expect(pages).toHaveLength(1);
    const page = PNG.sync.read(readFileSync(pages[0]!));
    expect([page.width, page.height]).toEqual([1650, 1275]); // US Letter landscape at 150 dpi
    expect(decodeQr(pages[0]!)).toBe(VERIFY_URL);
    mkdirSync(RESULTS_DIR, { recursive: true });
    copyFileSync(pages[0]!, path.join(RESULTS_DIR, 'certificate.png'));
  });

  it('shows the achievement, recipient, issuer, competencies, results and date', () => {
    const text = squash(pdfText(pdf, 'text'));
    expect(text).toContain('Certificate of Micro-credential');
    expect(text).toContain('Formative Assessment: Checking for Understanding');
    expect(text).toContain('Zoë Ramírez');
    expect(text).toContain('EXAMPLE SCHOOL DISTRICT');
    expect(text).toContain('Example School District');
    expect(text).toContain('Example Educator Learning Network');
    expect(text).toContain('InTASC Standard 6: Assessment (InTASC-6)');
    expect(text).toContain('Using data to inform instruction');
    expect(text).toContain('Exemplary on Lesson plan; Proficient on Reflection');
    expect(text).toContain('November 2, 2026');
    expect(text).toContain('The educator uses a range of checks for understanding');
    expect(text).not.toMatch(/\*\*|_adjusts_/); // Markdown is stripped
    expect(text).toContain(`Verify at ${VERIFY_URL}`);
  });

  it('draws no text over other text', () => {
    expect(overlaps(pdfWords(pdf, 'words'))).toEqual([]);
  });

  it('attaches the signed credential as credential.json, byte for byte', () => {
    expect(pdf.includes('credential.json', 0, 'latin1')).toBe(true);
    expect(pdf.includes('/EmbeddedFile', 0, 'latin1')).toBe(true);
    const file = path.join(workDir, 'attached.pdf');
    writeFileSync(file, pdf);
    const list = execFileSync('/usr/bin/pdfdetach', ['-list', file]).toString('utf8');
    expect(list).toMatch(/^1 embedded files?\n1: credential\.json$/m);
    const out = path.join(workDir, 'out.json');
    execFileSync('/usr/bin/pdfdetach', ['-save', '1', '-o', out, file]);
    expect(readFileSync(out).equals(Buffer.from(credentialText, 'utf8'))).toBe(true);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(credential);
  });

  it('takes its dates from the credential, not the clock', () => {
    const info = execFileSync('/usr/bin/pdfinfo', ['-isodates', path.join(workDir, 'attached.pdf')]).toString('utf8');
    expect(info).toMatch(/^CreationDate:\s+2026-11-02T09:30:00/m);
    expect(info).toMatch(/^Pages:\s+1$/m);
  });

  it('renders the same model to the same bytes', async () => {
    const model = certificateModelOf(credential, credentialText, VERIFY_URL);
    const again = await renderCertificate(model);
    expect(again.equals(pdf)).toBe(true);
  });

  it('renders a credential without a name, alignments or results', async () => {
    const minimal = {
      id: 'urn:uuid:7d3e9a1c-2f4b-4c8d-9e0f-1a2b3c4d5e6f',
      type: ['VerifiableCredential', 'OpenBadgeCredential'],
      issuer: { id: 'did:web:district.example.org', type: ['Profile'], name: 'Lakeside Unified' },
      validFrom: '2025-03-14T12:00:00Z',
      credentialSubject: {
        type: ['AchievementSubject'],
        identifier: [{ type: 'IdentityObject', identityType: 'emailAddress', hashed: true, identityHash: 'sha256$00', salt: 'x' }],
        achievement: { id: 'urn:uuid:1', type: ['Achievement'], name: 'Classroom Discourse', criteria: { narrative: 'n' } },
      },
    };
    const model = certificateModelOf(minimal, JSON.stringify(minimal), 'https://district.example.org/verify/7d3e');
    expect(model).toMatchObject({ recipientName: null, competencies: [], results: [], creatorName: null, awardedOn: 'March 14, 2025' });
    const bytes = await renderCertificate(model);
    const pages = rasterisePages(bytes, 'minimal', 100);
    expect(pages).toHaveLength(1);
    const text = squash(pdfText(bytes, 'minimal'));
    expect(text).toContain('the educator identified in this credential');
    expect(text).toContain('Classroom Discourse');
    expect(text).toContain('Lakeside Unified');
    expect(text).toContain('March 14, 2025');
    expect(text).not.toContain('COMPETENCIES');
    expect(text).not.toContain('ASSESSMENT');
    expect(text).not.toContain('CREATED BY');
    expect(overlaps(pdfWords(bytes, 'minimal-words'))).toEqual([]);
  });

  it('keeps a long recipient name and a long issuer name from running into the lines below', async () => {
    const long = structuredClone(credential);
    long.issuer.name = 'Board of Cooperative Educational Services of Southern Westchester, Center for Professional Learning';
    long.credentialSubject.identifier[1]!.identityHash = 'María Fernanda Castellanos-Villalobos de la Fuente Rodríguez';
    const bytes = await renderCertificate(certificateModelOf(long, JSON.stringify(long), VERIFY_URL));
    expect(rasterisePages(bytes, 'long', 50)).toHaveLength(1);
    expect(overlaps(pdfWords(bytes, 'long-words'))).toEqual([]);
  });

  it('stays on one page with a long name, description and many competencies', async () => {
    const long = structuredClone(credential);
    const achievement = long.credentialSubject.achievement;
    achievement.name = 'Culturally Responsive Formative Assessment Practices for Multilingual Learners in Secondary Mathematics';
    achievement.description = 'Evidence of practice. '.repeat(40);
    achievement.alignment = Array.from({ length: 8 }, (_, i) => ({
      type: ['Alignment'],
      targetName: `A rather long competency statement number ${i + 1}`,
      targetCode: `C-${i + 1}`,
      targetUrl: `https://example.org/c/${i + 1}`,
      targetFramework: 'F',
    }));
    const bytes = await renderCertificate(certificateModelOf(long, JSON.stringify(long), VERIFY_URL));
    expect(rasterisePages(bytes, 'busy', 50)).toHaveLength(1);
    const text = squash(pdfText(bytes, 'busy'));
    expect(text).toContain('…');
    expect(text).toContain('COMPETENCIES');
  });
});

describe(plainExcerpt.name, () => {
  it('strips Markdown and cuts at a word with an ellipsis', () => {
    expect(plainExcerpt('# Title\n\n**Bold** and _italic_ `code`', 100)).toBe('Title Bold and italic code');
    expect(plainExcerpt('one two three four five six', 15)).toBe('one two three…');
    expect(plainExcerpt('short', 5)).toBe('short');
    expect([...plainExcerpt('x'.repeat(50), 20)]).toHaveLength(20);
  });
});

describe(certificateModelOf.name, () => {
  it('reads the parts the certificate shows', () => {
    expect(certificateModelOf(credential, credentialText, VERIFY_URL)).toEqual<CertificateModel>({
      kind: 'Micro-credential',
      achievementName: 'Formative Assessment: Checking for Understanding',
      description: credential.credentialSubject.achievement.description,
      recipientName: 'Zoë Ramírez',
      competencies: ['InTASC Standard 6: Assessment (InTASC-6)', 'Using data to inform instruction'],
      results: ['Exemplary on Lesson plan', 'Proficient on Reflection'],
      issuerName: 'Example School District',
      creatorName: 'Example Educator Learning Network',
      awardedOn: 'November 2, 2026',
      awardedAt: new Date('2026-11-02T09:30:00Z'),
      verificationUrl: VERIFY_URL,
      credentialId: credential.id,
      credentialText,
    });
  });

  it('never shows a hashed identifier as the name', () => {
    const hashedName = structuredClone(credential);
    hashedName.credentialSubject.identifier[1]!.hashed = true;
    expect(certificateModelOf(hashedName, '{}', VERIFY_URL).recipientName).toBeNull();
  });
});
