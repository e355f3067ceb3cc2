/**
 * Turns a catalogue definition into an OB 3.0 Achievement (§B.1.1). Rubric criteria become ResultDescriptions
 * whose ids live under the *version* URL, so a Result in a credential points at the exact rubric it was judged by.
 */
import type { AchievementDefinition, ProfileInput, RubricCriterionInput } from '../schemas/achievement.js';

export type JsonObject = Record<string, unknown>;

/** Ids of a rubric criterion and its levels within one achievement version. */
export const rubricIds = (versionUrl: string, criterion: string, level?: string): string =>
  level === undefined ? `${versionUrl}#criterion-${criterion}` : `${versionUrl}#criterion-${criterion}-level-${level}`;

/** An OB 3.0 Profile from an input profile; `id` falls back to its url. */
export function buildProfile(input: ProfileInput): JsonObject {
  const id = input.id ?? input.url;
  if (id === undefined) throw new TypeError('A profile needs an id or a url');
  return compact({
    id,
    type: ['Profile'],
    name: input.name,
    url: input.url,
    email: input.email,
    description: input.description,
  });
}

/**
 * Checks what a schema cannot: rubric keys unique, required levels defined.
 * @returns human-readable problems with JSON pointers; empty when consistent.
 */
export function checkDefinition(definition: AchievementDefinition): Array<{ pointer: string; detail: string }> {
  const problems: Array<{ pointer: string; detail: string }> = [];
  const criteria = new Set<string>();
  (definition.rubric ?? []).forEach((criterion, i) => {
    if (criteria.has(criterion.key)) problems.push({ pointer: `#/rubric/${i}/key`, detail: `duplicate criterion key "${criterion.key}"` });
    criteria.add(criterion.key);
    const levels = new Set<string>();
    criterion.levels.forEach((level, j) => {
      if (levels.has(level.key)) problems.push({ pointer: `#/rubric/${i}/levels/${j}/key`, detail: `duplicate level key "${level.key}"` });
      levels.add(level.key);
    });
    if (criterion.requiredLevel !== undefined && !levels.has(criterion.requiredLevel)) {
      problems.push({
        pointer: `#/rubric/${i}/requiredLevel`,
        detail: `"${criterion.requiredLevel}" is not one of this criterion's levels`,
      });
    }
  });
  if (definition.creator !== undefined && definition.creator.id === undefined && definition.creator.url === undefined) {
    problems.push({ pointer: '#/creator', detail: 'the creator needs an id or a url' });
  }
  return problems;
}

/** A stack's components, resolved by the caller: each achievement's URL and name. */
export type StackComponents = ReadonlyMap<string, { readonly url: string; readonly name: string }>;

/** The criteria narrative: the definition's text, then its required tasks, evidence and stack requirements, as Markdown. */
function criteriaNarrative(definition: AchievementDefinition, components?: StackComponents): string {
  const parts = [definition.criteria.narrative.trim()];
  if (definition.stack !== undefined && components !== undefined) {
    const nameOf = (id: string) => components.get(id)?.name ?? id;
    const lines = definition.stack.requirements.map((r, i) => {
      const all = r.minimum === undefined || r.minimum === r.components.length;
      const list = r.components
        .map((c) => `${nameOf(c.achievementId)}${c.versions ? ` (version ${c.versions.join(', ')})` : ''}`)
        .join('; ');
      return `${i + 1}. ${r.name ? `${r.name}: ` : ''}${all ? 'all of' : `${r.minimum} of`} ${list}`;
    });
    parts.push(`**Requirements${definition.stack.ordered ? ', in this order' : ''}**\n\n${lines.join('\n')}`);
  }
  const tasks = definition.criteria.requiredTasks ?? [];
  if (tasks.length > 0) parts.push('**Required tasks**\n\n' + tasks.map((t, i) => `${i + 1}. ${t}`).join('\n'));
  const evidence = definition.evidenceRequirements ?? [];
  if (evidence.length > 0) {
    parts.push('**Evidence required**\n\n' + evidence.map((e) => `- ${e.name}${e.description ? `: ${e.description}` : ''}`).join('\n'));
  }
  return parts.join('\n\n');
}

function resultDescription(versionUrl: string, criterion: RubricCriterionInput): JsonObject {
  return compact({
    id: rubricIds(versionUrl, criterion.key),
    type: ['ResultDescription'],
    name: criterion.name,
    resultType: 'RubricCriterionLevel',
    requiredLevel: criterion.requiredLevel === undefined ? undefined : rubricIds(versionUrl, criterion.key, criterion.requiredLevel),
    rubricCriterionLevel: criterion.levels.map((level) =>
      compact({
        id: rubricIds(versionUrl, criterion.key, level.key),
        type: ['RubricCriterionLevel'],
        name: level.name,
        description: level.description,
        level: level.name,
        points: level.points,
      }),
    ),
  });
}

/** The OB 3.0 Achievement for one published version. */
export function buildAchievement(options: {
  definition: AchievementDefinition;
  url: string;
  versionUrl: string;
  version: number;
  /** For a stack: its components, which become `related` achievements and the requirements text. */
  stackComponents?: StackComponents;
}): JsonObject {
  const { definition, url, versionUrl, version, stackComponents } = options;
  if (!Number.isInteger(version) || version < 1) throw new TypeError('version must be a positive integer');
  return compact({
    id: url,
    type: ['Achievement'],
    achievementType: definition.achievementType ?? 'MicroCredential',
    name: definition.name,
    description: definition.description,
    criteria: compact({ id: definition.criteria.url, narrative: criteriaNarrative(definition, stackComponents) }),
    image: definition.image && compact({ id: definition.image.url, type: 'Image', caption: definition.image.caption }),
    alignment: definition.alignments?.map((a) =>
      compact({
        type: ['Alignment'],
        targetName: a.targetName,
        targetUrl: a.targetUrl,
        targetDescription: a.targetDescription,
        targetFramework: a.targetFramework,
        targetCode: a.targetCode,
        targetType: a.targetType,
      }),
    ),
    resultDescription: definition.rubric?.map((criterion) => resultDescription(versionUrl, criterion)),
    creator: definition.creator && buildProfile(definition.creator),
    tag: definition.tags,
    fieldOfStudy: definition.fieldOfStudy,
    specialization: definition.specialization,
    humanCode: definition.humanCode,
    inLanguage: definition.inLanguage,
    creditsAvailable: definition.creditsAvailable,
    related:
      definition.stack === undefined || stackComponents === undefined
        ? undefined
        : [...stackComponents.values()].map((c) => ({ id: c.url, type: ['Related'] })),
    version: String(version),
  });
}

/** Drops undefined values and empty arrays (OB 3.0 §Serialization: omit nulls and empty arrays). */
export function compact(object: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out;
}
