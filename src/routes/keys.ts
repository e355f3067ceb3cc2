import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../plugins/auth.js';
import type { Services } from '../services/index.js';

const problem = { $ref: 'Problem#' } as const;
const keyList = Type.Array(Type.Ref('SigningKey'));

/** The issuer's signing keys: list, rotate, report compromised (admin scope). Prefix /keys. */
export default async function keyRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { issuers, status } = services;
  const admin = app.authorize('admin');

  app.get('/', {
    onRequest: admin,
    schema: {
      operationId: 'listSigningKeys',
      summary: "This issuer's signing keys, current, retired and revoked (public keys only)",
      tags: ['administration'],
      security: [{ apiKey: [] }],
      response: { 200: keyList, 401: problem, 403: problem },
    },
    handler: async (request) => issuers.listKeys(callerOf(request).issuerId),
  });

  app.post('/rotate', {
    onRequest: admin,
    schema: {
      operationId: 'rotateSigningKeys',
      summary: 'Rotate the signing keys: new keys sign from now on; the old ones stay in the DID document, so what they signed verifies',
      description: 'did:web issuers only: a did:key is its key (409).',
      tags: ['administration'],
      security: [{ apiKey: [] }],
      response: { 200: keyList, 400: problem, 401: problem, 403: problem, 409: problem },
    },
    handler: async (request) => {
      const caller = callerOf(request);
      return issuers.rotateKeys(caller.issuerId, caller);
    },
  });

  app.post('/:id/revoke', {
    onRequest: admin,
    schema: {
      operationId: 'revokeSigningKey',
      summary: 'Report a signing key compromised from a date: what it signed from then on fails verification',
      description:
        'The DID document marks the key revoked from compromisedAt. Our verifier judges each credential by the date our ' +
        'records show it was signed (not the date its proof claims); other verifiers may refuse everything the key signed. ' +
        'A current key is replaced at once (did:web issuers), and every credential our records show it signed from ' +
        'compromisedAt on is revoked in its status list, so verifiers that ignore key revocation dates refuse them too.',
      tags: ['administration'],
      security: [{ apiKey: [] }],
      params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
      body: { $ref: 'KeyRevocationRequest#' },
      response: { 200: { $ref: 'KeyRevocation#' }, 400: problem, 401: problem, 403: problem, 404: problem, 409: problem },
    },
    handler: async (request) => {
      const caller = callerOf(request);
      const { id } = request.params as { id: string };
      const body = request.body as { compromisedAt?: string; reason: string };
      // Verifiers that ignore a key's revocation date still read status lists: what the key signed since then is
      // revoked in the same transaction as the key.
      const reason = `Signed with a key reported compromised: ${body.reason}`;
      const { keys, affectedCredentials } = await issuers.revokeKey(
        caller.issuerId,
        id,
        { compromisedAt: body.compromisedAt === undefined ? undefined : new Date(body.compromisedAt), reason: body.reason },
        caller,
        (trx, credentialIds) => status.revokeIn(trx, caller, credentialIds, reason),
      );
      return { keys, affectedCredentials: affectedCredentials.length };
    },
  });
}
