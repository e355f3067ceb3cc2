import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Problem } from '../errors.js';
import type { Services } from '../services/index.js';
import type { FileVerification } from '../services/verification.js';
import { renderUploadPage } from '../views/upload-page.js';
import { sendPage } from './pages.js';

const problem = { $ref: 'Problem#' } as const;
const result = { $ref: 'VerificationResult#' } as const;
const fileResult = { $ref: 'FileVerificationResult#' } as const;
const COMPACT_JWS = {
  type: 'string',
  maxLength: 1_000_000,
  pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
  description: 'A VC-JWT (compact JWS)',
} as const;

/** The one uploaded file of a multipart request (field `file`), read within the upload limit; any second file is refused. */
async function uploadedFile(request: FastifyRequest): Promise<{ name: string; bytes: Buffer }> {
  let file: { name: string; bytes: Buffer } | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue; // other form fields are ignored
      if (part.fieldname !== 'file') throw new Problem('validation-failed', 'Send the file in a multipart/form-data field named "file"');
      if (file !== undefined) throw new Problem('validation-failed', 'Send one file per request');
      file = { name: part.filename, bytes: await part.toBuffer() };
    }
  } catch (error) {
    throw error instanceof Problem ? error : multipartProblem(error);
  }
  if (file === undefined) throw new Problem('validation-failed', 'Send the file in a multipart/form-data field named "file"');
  return file;
}

function multipartProblem(error: unknown): Problem {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new Problem('body-too-large', 'The file is larger than this verifier accepts');
  if (code === 'FST_FILES_LIMIT') return new Problem('validation-failed', 'Send one file per request');
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
    return new Problem('validation-failed', 'The form has too many fields; send only the file');
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return new Problem('unsupported-media-type', 'Send the file as multipart/form-data');
  return new Problem('validation-failed', `The upload could not be read: ${(error as Error).message}`);
}

const toResponse = (outcome: FileVerification) => ({
  verified: outcome.verified,
  format: outcome.format,
  description: outcome.description,
  warnings: [...outcome.warnings],
  results: outcome.results.map((r) => ({ role: r.role, name: r.name, issuerName: r.issuerName, result: r.report })),
});

export default async function verifyRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { verification } = services;

  app.post('/credentials/verify', {
    config: { publicCors: true },
    schema: {
      operationId: 'verifyCredential',
      summary: 'Verify any Open Badges 3.0 or W3C verifiable credential (VC-API request shape), or an uploaded file',
      description:
        'JSON: {verifiableCredential} (VC-API), where the credential may also be a VC-JWT (a compact JWS string or an ' +
        'EnvelopedVerifiableCredential); or a VC-JWT sent as application/vc+jwt. Checks shape, schema, issuer key, proof, validity dates and status, each with ' +
        'a readable reason. multipart/form-data with a field "file": a baked PNG or SVG badge, a credential, a wallet file ' +
        '(presentation) or a CLR; every credential in it is unbaked and verified (FileVerificationResult). ' +
        '200 when everything verifies, 422 when something does not (the body says why), 400 for a malformed request.',
      tags: ['verification'],
      consumes: ['application/json', 'multipart/form-data'],
      body: {
        content: {
          // Every JSON media type the parser accepts is validated alike.
          'application/json': { schema: { $ref: 'VerifyRequest#' } },
          'application/ld+json': { schema: { $ref: 'VerifyRequest#' } },
          'application/vc+ld+json': { schema: { $ref: 'VerifyRequest#' } },
          'application/vc': { schema: { $ref: 'VerifyRequest#' } },
          // A VC-JWT sent as itself.
          'application/vc+jwt': { schema: COMPACT_JWS },
          'application/jwt': { schema: COMPACT_JWS },
          // The file is streamed, not parsed into the body: this schema only documents the form.
          'multipart/form-data': { schema: { properties: { file: { type: 'string', format: 'binary' } } } },
        },
      },
      response: { 200: { oneOf: [result, fileResult] }, 422: { oneOf: [result, fileResult] }, 400: problem, 413: problem, 415: problem },
    },
    handler: async (request, reply) => {
      if (request.isMultipart()) {
        const file = await uploadedFile(request);
        const outcome = await verification.verifyFile(file.bytes);
        return reply.code(outcome.verified ? 200 : 422).send(toResponse(outcome));
      }
      const { verifiableCredential } =
        typeof request.body === 'string' ? { verifiableCredential: request.body } : (request.body as { verifiableCredential: unknown });
      const report = await verification.verify(verifiableCredential);
      return reply.code(report.verified ? 200 : 422).send(report);
    },
  });

  app.post('/presentations/verify', {
    config: { publicCors: true },
    schema: {
      operationId: 'verifyPresentation',
      summary: 'W3C VC-API: verify a presentation (its proof, challenge and domain) and every credential in it',
      description:
        'A signed presentation is checked against options.challenge and options.domain (a challenge requires a signed ' +
        'presentation); each credential gets the full credential report. 200 when everything verifies, 422 when something ' +
        'does not (the body says what), 400 for a malformed request.',
      tags: ['verification'],
      body: { $ref: 'VerifyPresentationRequest#' },
      response: {
        200: { $ref: 'PresentationVerificationResult#' },
        422: { $ref: 'PresentationVerificationResult#' },
        400: problem,
        413: problem,
        415: problem,
      },
    },
    handler: async (request, reply) => {
      const outcome = await verification.verifyPresentation(request.body as never);
      return reply.code(outcome.verified ? 200 : 422).send(outcome);
    },
  });

  // The public page for people: upload a file, read the verdicts.
  app.get('/verify', {
    schema: {
      operationId: 'verifyPage',
      summary: 'The public file verification page (HTML form)',
      tags: ['verification'],
      response: { 200: { description: 'The upload form', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
    handler: async (_request, reply) => sendPage(reply, renderUploadPage({ action: '/verify' }), { form: true }),
  });

  app.post('/verify', {
    schema: {
      operationId: 'verifyPageUpload',
      summary: 'The file verification page, after an upload (HTML)',
      tags: ['verification'],
      consumes: ['multipart/form-data'],
      response: {
        200: { description: 'The results page', content: { 'text/html': { schema: { type: 'string' } } } },
        400: { description: 'The page, saying what was wrong with the upload', content: { 'text/html': { schema: { type: 'string' } } } },
        413: { description: 'The page, saying the file is too large', content: { 'text/html': { schema: { type: 'string' } } } },
        415: problem,
        422: {
          description: 'The page, saying no credential could be read from the file',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
      },
    },
    handler: async (request, reply) => {
      if (!request.isMultipart()) throw new Problem('unsupported-media-type', 'Send the file as multipart/form-data');
      let name: string | undefined;
      try {
        const file = await uploadedFile(request);
        name = file.name;
        const outcome = await verification.verifyFile(file.bytes);
        const results = outcome.results.map((r) => ({
          role: r.role,
          name: r.name,
          issuerName: r.issuerName,
          credentialId: r.report.credentialId,
          report: r.report,
        }));
        return sendPage(reply, renderUploadPage({ action: '/verify', fileName: name, outcome: { ...outcome, results } }), { form: true });
      } catch (error) {
        if (!(error instanceof Problem) || error.status >= 500) throw error;
        return sendPage(reply, renderUploadPage({ action: '/verify', fileName: name, error: error.detail ?? error.message }), {
          form: true,
          status: error.status,
        });
      }
    },
  });
}
