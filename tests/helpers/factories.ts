/** Test data: realistic micro-credential definitions and issue requests; each test makes its own rows. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../src/services/index.js';

export const definition = (overrides: Record<string, unknown> = {}) => ({
  name: 'Formative Assessment: Checking for Understanding',
  description: 'The educator uses a range of checks for understanding during instruction and adjusts teaching in response.',
  criteria: {
    narrative:
      'Submit a lesson plan, two samples of student work and a reflection showing how checks for understanding changed instruction.',
    requiredTasks: [
      'Plan a lesson with at least three checks for understanding',
      'Teach the lesson and collect student responses',
      'Reflect on the adjustments made',
    ],
  },
  image: { url: 'https://example.org/badges/formative-assessment.png', caption: 'Formative Assessment badge' },
  alignments: [
    {
      targetName: 'InTASC Standard 6: Assessment',
      targetUrl: 'https://ccsso.org/intasc/standard-6',
      targetFramework: 'InTASC Model Core Teaching Standards',
      targetCode: 'InTASC-6',
      targetType: 'ceasn:Competency',
    },
  ],
  rubric: [
    {
      key: 'lesson-plan',
      name: 'Lesson plan',
      requiredLevel: 'proficient',
      levels: [
        { key: 'developing', name: 'Developing', points: '1' },
        { key: 'proficient', name: 'Proficient', points: '2' },
        { key: 'exemplary', name: 'Exemplary', points: '3' },
      ],
    },
    {
      key: 'reflection',
      name: 'Reflection',
      requiredLevel: 'proficient',
      levels: [
        { key: 'developing', name: 'Developing' },
        { key: 'proficient', name: 'Proficient' },
      ],
    },
  ],
  evidenceRequirements: [{ name: 'Lesson plan' }, { name: 'Student work samples', description: 'Two, anonymised' }],
  creator: { name: 'Example Educator Learning Network', url: 'https://example.org/learning-network' },
  tags: ['assessment', 'formative'],
  fieldOfStudy: 'Assessment',
  creditsAvailable: 15,
  ...overrides,
});

export const issueRequest = (achievementId: string, overrides: Record<string, unknown> = {}) => ({
  achievement: { id: achievementId },
  recipient: { identity: 'Teacher.One@District.example', name: 'Jordan Rivera' },
  evidence: [
    { url: 'https://portfolio.example.org/submissions/123/lesson-plan', name: 'Lesson plan', genre: 'Lesson plan' },
    { url: 'https://portfolio.example.org/submissions/123/reflection', name: 'Reflection', genre: 'Reflection' },
  ],
  results: [
    { criterion: 'lesson-plan', level: 'exemplary' },
    { criterion: 'reflection', level: 'proficient' },
  ],
  assessor: {
    name: 'Sam Lee',
    qualification: 'Certified micro-credential assessor',
    organization: { name: 'Example Assessors', url: 'https://assessors.example.org' },
  },
  assessedAt: '2026-11-01T15:00:00Z',
  ...overrides,
});

export interface Issuer {
  readonly issuerId: string;
  readonly did: string;
  readonly apiKey: string;
  readonly auth: { authorization: string };
}

export async function createIssuer(
  services: Services,
  overrides: { didMethod?: 'web' | 'key'; proofType?: 'eddsa-rdfc-2022' | 'Ed25519Signature2020'; name?: string } = {},
): Promise<Issuer> {
  const { issuer, apiKey } = await services.issuers.createIssuer({
    name: overrides.name ?? 'Example School District',
    url: 'https://district.example.org',
    ...overrides,
  });
  return { issuerId: issuer.id, did: issuer.did, apiKey: apiKey.apiKey, auth: { authorization: `Bearer ${apiKey.apiKey}` } };
}

export async function createAchievement(
  app: FastifyInstance,
  issuer: Issuer,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; url: string }> {
  const res = await app.inject({ method: 'POST', url: '/achievements', headers: issuer.auth, payload: definition(overrides) });
  if (res.statusCode !== 201) throw new Error(`createAchievement: ${res.statusCode} ${res.body}`);
  return res.json();
}
