/**
 * The credential in the forms people keep: a baked SVG and PNG badge (OB 3.0 baking) and a printable PDF
 * certificate. Made on request from the stored credential (they are pure functions of it, so nothing new is
 * signed or recorded). A revoked or suspended credential has no badge or certificate to download; its JSON stays
 * public so verifiers can see why.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import * as credentials from '../db/repositories/credentials.js';
import { badgeFaceOf, certificateModelOf } from '../artifacts/model.js';
import { bakePng } from '../artifacts/png.js';
import { rasterize } from '../artifacts/raster.js';
import { badgeSvg, bakeSvg } from '../artifacts/svg.js';
import { Problem } from '../errors.js';
import { isUuid } from './ids.js';

export function createDownloadService(deps: { db: Kysely<Database> }) {
  const { db } = deps;

  async function source(id: string) {
    const row = isUuid(id) ? await credentials.findCredential(db, id) : undefined;
    if (row === undefined) throw new Problem('credential-not-found', `No credential ${id}`);
    if (row.status === 'revoked') {
      throw new Problem(
        'credential-revoked',
        `The issuer revoked this credential${row.status_reason ? ` (${row.status_reason})` : ''}; it has no badge or certificate. Its record stays at ${row.credential_url}`,
      );
    }
    if (row.status === 'suspended') {
      throw new Problem(
        'credential-suspended',
        'The issuer suspended this credential; its badge and certificate are available again once it is reinstated',
      );
    }
    return {
      id: row.id,
      url: row.credential_url,
      text: row.signed_json,
      credential: JSON.parse(row.signed_json) as Record<string, unknown>,
    };
  }

  const bakedSvg = (s: Awaited<ReturnType<typeof source>>) => bakeSvg(badgeSvg(badgeFaceOf(s.credential)), s.text);

  return {
    async badgeSvg(id: string): Promise<{ id: string; svg: string }> {
      const s = await source(id);
      return { id: s.id, svg: bakedSvg(s) };
    },
    async badgePng(id: string): Promise<{ id: string; png: Buffer }> {
      const s = await source(id);
      return { id: s.id, png: bakePng(rasterize(badgeSvg(badgeFaceOf(s.credential))), s.text) };
    },
    async certificate(id: string): Promise<{ id: string; pdf: Buffer }> {
      const s = await source(id);
      // Loaded on first use: PDF rendering (pdfkit, ~28 MB resident) is for downloads, not for issuing or verifying.
      const { renderCertificate } = await import('../artifacts/certificate.js');
      return { id: s.id, pdf: await renderCertificate(certificateModelOf(s.credential, s.text, s.url)) };
    },
  };
}

export type DownloadService = ReturnType<typeof createDownloadService>;
