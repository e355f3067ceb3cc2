/**
 * Stack (pathway) rules, evaluated over the credentials an educator holds. Pure.
 *
 * A stack has requirements; each needs all of its components, or a minimum number of them. A component is an
 * achievement, optionally limited to some versions. With `ordered`, requirements are stages: a credential counts
 * for a stage only if it was earned no earlier than the moment the previous stage was completed.
 *
 * Each stage takes, per component, the earliest qualifying credential, then the earliest `minimum` of those:
 * that choice completes the stage as early as possible, which leaves later stages the most credentials to count.
 */
import type { StackInput } from '../schemas/achievement.js';

export interface EarnedCredential {
  readonly credentialId: string;
  readonly credentialUrl: string;
  readonly achievementId: string;
  readonly version: number;
  readonly earnedAt: Date;
}

export interface ComponentProgress {
  readonly achievementId: string;
  /** The credential that counts for this component, if any. */
  readonly credential: EarnedCredential | null;
}

export interface RequirementProgress {
  readonly name: string | null;
  readonly needed: number;
  readonly earned: number;
  readonly complete: boolean;
  readonly completedAt: Date | null;
  readonly components: readonly ComponentProgress[];
}

export interface StackEvaluation {
  readonly satisfied: boolean;
  readonly completedAt: Date | null;
  readonly requirements: readonly RequirementProgress[];
  /** The credentials the award rests on (the earliest that complete each requirement), oldest first. */
  readonly counted: readonly EarnedCredential[];
}

/** Problems with the rules themselves (beyond the schema): pointer and message. */
export function checkStackRules(stack: StackInput, selfId?: string): Array<{ pointer: string; detail: string }> {
  const problems: Array<{ pointer: string; detail: string }> = [];
  const seen = new Map<string, number>();
  stack.requirements.forEach((requirement, i) => {
    for (const [j, { achievementId }] of requirement.components.entries()) {
      const earlier = seen.get(achievementId);
      if (earlier !== undefined && earlier !== i) {
        problems.push({
          pointer: `#/stack/requirements/${i}/components/${j}`,
          detail: `achievement ${achievementId} is already in requirement ${earlier + 1}`,
        });
      }
      seen.set(achievementId, i);
    }
    const ids = requirement.components.map((c) => c.achievementId);
    ids.forEach((id, j) => {
      if (ids.indexOf(id) !== j)
        problems.push({ pointer: `#/stack/requirements/${i}/components/${j}`, detail: `achievement ${id} is listed twice` });
      if (id === selfId) problems.push({ pointer: `#/stack/requirements/${i}/components/${j}`, detail: 'a stack cannot require itself' });
    });
    if (requirement.minimum !== undefined && requirement.minimum > ids.length) {
      problems.push({
        pointer: `#/stack/requirements/${i}/minimum`,
        detail: `minimum ${requirement.minimum} is more than the ${ids.length} components`,
      });
    }
  });
  return problems;
}

/** Every achievement id a stack mentions. */
export const componentIds = (stack: StackInput): string[] => [
  ...new Set(stack.requirements.flatMap((r) => r.components.map((c) => c.achievementId))),
];

export function evaluateStack(stack: StackInput, earned: readonly EarnedCredential[]): StackEvaluation {
  const requirements: RequirementProgress[] = [];
  const counted: EarnedCredential[] = [];
  let after: Date | null = null;
  let allComplete = true;
  for (const requirement of stack.requirements) {
    const lowerBound: Date | null = stack.ordered === true ? after : null;
    const components = requirement.components.map((component): ComponentProgress => {
      const qualifying = earned
        .filter((e) => e.achievementId === component.achievementId)
        .filter((e) => component.versions === undefined || component.versions.includes(e.version))
        .filter((e) => lowerBound === null || e.earnedAt >= lowerBound)
        .sort((a, b) => a.earnedAt.getTime() - b.earnedAt.getTime() || a.credentialId.localeCompare(b.credentialId));
      return { achievementId: component.achievementId, credential: qualifying[0] ?? null };
    });
    const needed = requirement.minimum ?? requirement.components.length;
    const have = components
      .map((c) => c.credential)
      .filter((c): c is EarnedCredential => c !== null)
      .sort((a, b) => a.earnedAt.getTime() - b.earnedAt.getTime());
    const complete = have.length >= needed;
    const completedAt = complete ? have[needed - 1]!.earnedAt : null;
    if (complete) counted.push(...have.slice(0, needed));
    else allComplete = false;
    requirements.push({ name: requirement.name ?? null, needed, earned: Math.min(have.length, needed), complete, completedAt, components });
    // An incomplete stage blocks the next ones in an ordered stack; progress is still shown from the start of time.
    after = completedAt;
  }
  const completedAt = allComplete ? new Date(Math.max(...requirements.map((r) => r.completedAt!.getTime()))) : null;
  return {
    satisfied: allComplete,
    completedAt,
    requirements,
    counted: allComplete
      ? [...new Map(counted.map((c) => [c.credentialId, c])).values()].sort((a, b) => a.earnedAt.getTime() - b.earnedAt.getTime())
      : [],
  };
}
