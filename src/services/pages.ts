/**
 * What the public achievement URL shows: the OB 3.0 Achievement (with its current endorsements embedded, as OB 3.0
 * allows) for machines, and for people a page adding what it counts for, who endorses it and which stacks it
 * belongs to. Endorsements are verified each time the page is made.
 */
import type { AchievementService } from './achievements.js';
import type { IssuerService } from './issuers.js';
import type { ProgrammeService } from './programmes.js';
import type { StackService } from './stacks.js';
import type { VerificationService } from './verification.js';

export function createPageService(deps: {
  achievements: Pick<AchievementService, 'get' | 'urls'>;
  issuers: Pick<IssuerService, 'getIssuer'>;
  programmes: Pick<ProgrammeService, 'recognitions' | 'endorsementsOf'>;
  stacks: Pick<StackService, 'partOf'>;
  verification: Pick<VerificationService, 'verify'>;
  publicUrl: string;
  clock: () => Date;
}) {
  const { achievements, issuers, programmes, stacks, verification, publicUrl, clock } = deps;
  const nameOf = async (id: string) => String(((await achievements.get(id)).achievement as { name?: unknown }).name);

  return {
    /** Where the recognitions of an achievement are listed (linked from its JSON). */
    recognitionsUrl: (id: string) => `${publicUrl}/recognitions?achievementId=${encodeURIComponent(id)}`,

    /** The latest Achievement JSON with its current endorsements (the version URLs stay exactly as published). */
    async achievementJson(id: string): Promise<Record<string, unknown>> {
      const resource = await achievements.get(id);
      const endorsements = await programmes.endorsementsOf('achievement', id);
      return endorsements.length === 0
        ? (resource.achievement as Record<string, unknown>)
        : { ...resource.achievement, endorsement: endorsements.map((e) => e.credential) };
    },

    async achievementPage(id: string) {
      const resource = await achievements.get(id);
      const issuer = await issuers.getIssuer(resource.issuerId);
      const today = clock().toISOString().slice(0, 10);
      const { related } = resource.achievement as { related?: unknown };
      const relatedList = Array.isArray(related) ? (related as Array<{ id?: unknown }>) : [];
      const components = [];
      for (const r of relatedList) {
        const componentId = typeof r.id === 'string' ? r.id.split('/').pop()! : '';
        components.push({ name: await nameOf(componentId).catch(() => componentId), url: String(r.id) });
      }
      const partOf = [];
      for (const stackId of await stacks.partOf(id)) partOf.push({ name: await nameOf(stackId), url: achievements.urls(stackId, 1).url });
      const endorsements = [];
      for (const e of await programmes.endorsementsOf('achievement', id)) {
        const report = await verification.verify(e.credential);
        endorsements.push({ credential: e.credential, url: e.url, verified: report.verified, reason: report.errors.join('; ') });
      }
      return {
        achievement: resource.achievement as Record<string, unknown>,
        issuer: { name: issuer.name, url: issuer.url },
        version: resource.version,
        latestVersion: resource.latestVersion,
        jsonUrl: resource.url,
        recognitions: await programmes.recognitions({ achievementIds: [id], on: today }),
        endorsements,
        components,
        partOf,
      };
    },
  };
}

export type PageService = ReturnType<typeof createPageService>;
