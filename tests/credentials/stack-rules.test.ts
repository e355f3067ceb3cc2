/**
 * Stack (pathway) rules, evaluated over the credentials an educator holds (src/credentials/stack-rules.ts): all-of,
 * N-of-M, version filters, ordered stages, the completion moment, which credentials the award rests on, and the
 * problems checkStackRules reports. Pure: no database.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkStackRules, componentIds, evaluateStack, type EarnedCredential } from '../../src/credentials/stack-rules.js';
import type { StackInput } from '../../src/schemas/achievement.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const DAY = 86_400_000;
let serial = 0;

/** A credential of `achievementId` earned `day` days after T0. */
const earned = (achievementId: string, day: number, version = 1, id?: string): EarnedCredential => {
  const credentialId = id ?? `cred-${String(++serial).padStart(4, '0')}`;
  return {
    credentialId,
    credentialUrl: `https://issuer.example/credentials/${credentialId}`,
    achievementId,
    version,
    earnedAt: new Date(T0 + day * DAY),
  };
};
const at = (day: number) => new Date(T0 + day * DAY);
const ids = (credentials: readonly EarnedCredential[]) => credentials.map((c) => c.credentialId);

const allOf = (...achievementIds: string[]): StackInput['requirements'][number] => ({
  components: achievementIds.map((achievementId) => ({ achievementId })),
});

describe(evaluateStack.name, () => {
  describe('all of the components (the default)', () => {
    const stack: StackInput = { requirements: [allOf('a', 'b', 'c')] };

    it('is not satisfied with nothing, or with all but one component', () => {
      const none = evaluateStack(stack, []);
      expect(none).toMatchObject({ satisfied: false, completedAt: null, counted: [] });
      expect(none.requirements).toEqual([
        {
          name: null,
          needed: 3,
          earned: 0,
          complete: false,
          completedAt: null,
          components: [
            { achievementId: 'a', credential: null },
            { achievementId: 'b', credential: null },
            { achievementId: 'c', credential: null },
          ],
        },
      ]);

      const a = earned('a', 1);
      const c = earned('c', 2);
      const partial = evaluateStack(stack, [a, c]);
      expect(partial.satisfied).toBe(false);
      expect(partial.completedAt).toBeNull();
      expect(partial.counted).toEqual([]);
      expect(partial.requirements[0]).toMatchObject({ needed: 3, earned: 2, complete: false, completedAt: null });
      expect(partial.requirements[0]!.components.map((x) => x.credential?.credentialId ?? null)).toEqual([
        a.credentialId,
        null,
        c.credentialId,
      ]);
    });

    it('is satisfied when the last component arrives, at the moment it was earned', () => {
      const a = earned('a', 5);
      const b = earned('b', 1);
      const c = earned('c', 3);
      const result = evaluateStack(stack, [a, b, c]);
      expect(result.satisfied).toBe(true);
      expect(result.completedAt).toEqual(at(5));
      expect(result.requirements[0]).toMatchObject({ needed: 3, earned: 3, complete: true, completedAt: at(5) });
      // Oldest first.
      expect(ids(result.counted)).toEqual([b.credentialId, c.credentialId, a.credentialId]);
    });

    it('counts the earliest credential of a component earned several times, and ignores other achievements', () => {
      const aLate = earned('a', 9);
      const aEarly = earned('a', 2);
      const b = earned('b', 3);
      const c = earned('c', 4);
      const unrelated = earned('z', 0);
      const result = evaluateStack(stack, [aLate, unrelated, c, aEarly, b]);
      expect(result.satisfied).toBe(true);
      expect(result.completedAt).toEqual(at(4));
      expect(ids(result.counted)).toEqual([aEarly.credentialId, b.credentialId, c.credentialId]);
      expect(result.requirements[0]!.components[0]!.credential).toBe(aEarly);
    });

    it('breaks ties between credentials earned at the same moment by credential id', () => {
      const second = earned('a', 1, 1, 'cred-b');
      const first = earned('a', 1, 1, 'cred-a');
      const result = evaluateStack({ requirements: [allOf('a')] }, [second, first]);
      expect(result.counted).toEqual([first]);
    });

    it('needs every requirement', () => {
      const two: StackInput = { requirements: [allOf('a'), allOf('b')] };
      const a = earned('a', 1);
      expect(evaluateStack(two, [a]).satisfied).toBe(false);
      expect(evaluateStack(two, [a]).requirements.map((r) => r.complete)).toEqual([true, false]);
      const b = earned('b', 0);
      const both = evaluateStack(two, [a, b]);
      expect(both.satisfied).toBe(true);
      expect(both.completedAt).toEqual(at(1));
      expect(both.requirements.map((r) => r.completedAt)).toEqual([at(1), at(0)]);
      expect(ids(both.counted)).toEqual([b.credentialId, a.credentialId]);
    });

    it('keeps the requirement names', () => {
      const result = evaluateStack({ requirements: [{ name: 'Foundations', ...allOf('a') }, allOf('b')] }, []);
      expect(result.requirements.map((r) => r.name)).toEqual(['Foundations', null]);
    });
  });

  describe('N of M (minimum)', () => {
    const stack: StackInput = {
      requirements: [
        { name: 'Electives', minimum: 2, components: [{ achievementId: 'a' }, { achievementId: 'b' }, { achievementId: 'c' }] },
      ],
    };

    it.each([
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'c'],
    ])('is met by %s and %s', (x, y) => {
      const first = earned(x, 1);
      const second = earned(y, 2);
      const result = evaluateStack(stack, [second, first]);
      expect(result.satisfied).toBe(true);
      expect(result.completedAt).toEqual(at(2));
      expect(result.requirements[0]).toMatchObject({ needed: 2, earned: 2, complete: true });
      expect(ids(result.counted)).toEqual([first.credentialId, second.credentialId]);
    });

    it('is not met by one, and counts the earliest two of three', () => {
      expect(evaluateStack(stack, [earned('b', 1)]).requirements[0]).toMatchObject({ needed: 2, earned: 1, complete: false });
      const a = earned('a', 7);
      const b = earned('b', 3);
      const c = earned('c', 5);
      const result = evaluateStack(stack, [a, b, c]);
      expect(result.completedAt).toEqual(at(5));
      // earned is capped at needed; every component still shows its credential.
      expect(result.requirements[0]).toMatchObject({ needed: 2, earned: 2, complete: true, completedAt: at(5) });
      expect(result.requirements[0]!.components.map((x) => x.credential?.credentialId)).toEqual([
        a.credentialId,
        b.credentialId,
        c.credentialId,
      ]);
      expect(ids(result.counted)).toEqual([b.credentialId, c.credentialId]);
    });

    it('does not count two credentials of one component as two components', () => {
      const result = evaluateStack(stack, [earned('a', 1), earned('a', 2), earned('a', 3)]);
      expect(result.satisfied).toBe(false);
      expect(result.requirements[0]!.earned).toBe(1);
    });

    it('treats minimum equal to the number of components as all of them', () => {
      const all: StackInput = { requirements: [{ minimum: 2, components: [{ achievementId: 'a' }, { achievementId: 'b' }] }] };
      expect(evaluateStack(all, [earned('a', 1)]).satisfied).toBe(false);
      expect(evaluateStack(all, [earned('a', 1), earned('b', 1)]).satisfied).toBe(true);
    });
  });

  describe('versions', () => {
    const stack: StackInput = { requirements: [{ components: [{ achievementId: 'a', versions: [2, 3] }, { achievementId: 'b' }] }] };

    it('counts only credentials of the versions named', () => {
      const b = earned('b', 1, 1);
      const v1 = earned('a', 0, 1);
      expect(evaluateStack(stack, [v1, b]).satisfied).toBe(false);
      expect(evaluateStack(stack, [v1, b]).requirements[0]!.components[0]!.credential).toBeNull();
      const v3 = earned('a', 4, 3);
      const result = evaluateStack(stack, [v1, b, v3]);
      expect(result.satisfied).toBe(true);
      expect(result.completedAt).toEqual(at(4));
      expect(ids(result.counted)).toEqual([b.credentialId, v3.credentialId]);
    });

    it('takes the earliest credential among the versions named, not the earliest overall', () => {
      const v1 = earned('a', 0, 1);
      const v2 = earned('a', 2, 2);
      const v3 = earned('a', 1, 3);
      const result = evaluateStack(stack, [v2, v1, v3, earned('b', 0)]);
      expect(result.requirements[0]!.components[0]!.credential).toBe(v3);
    });

    it('counts every version when none is named', () => {
      expect(evaluateStack({ requirements: [allOf('a')] }, [earned('a', 0, 17)]).satisfied).toBe(true);
    });
  });

  describe('ordered stages', () => {
    const stack: StackInput = {
      ordered: true,
      requirements: [
        { name: 'Stage 1', ...allOf('a', 'b') },
        { name: 'Stage 2', ...allOf('c') },
      ],
    };

    it('does not count a stage-2 credential earned before stage 1 was complete', () => {
      const a = earned('a', 1);
      const c = earned('c', 2); // before b: stage 1 completes on day 3
      const b = earned('b', 3);
      const result = evaluateStack(stack, [a, b, c]);
      expect(result.satisfied).toBe(false);
      expect(result.requirements[0]).toMatchObject({ complete: true, completedAt: at(3) });
      expect(result.requirements[1]).toMatchObject({ complete: false, earned: 0, completedAt: null });
      expect(result.requirements[1]!.components[0]!.credential).toBeNull();
      expect(result.counted).toEqual([]);
      // Unordered, the same credentials satisfy it.
      expect(evaluateStack({ ...stack, ordered: false }, [a, b, c]).satisfied).toBe(true);
    });

    it('counts a stage-2 credential earned at the moment stage 1 completed, or after', () => {
      const a = earned('a', 1);
      const b = earned('b', 3);
      const sameMoment = earned('c', 3);
      const same = evaluateStack(stack, [a, b, sameMoment]);
      expect(same.satisfied).toBe(true);
      expect(same.completedAt).toEqual(at(3));

      const early = earned('c', 2);
      const later = earned('c', 6);
      const result = evaluateStack(stack, [a, b, early, later]);
      expect(result.satisfied).toBe(true);
      expect(result.completedAt).toEqual(at(6));
      expect(result.requirements[1]!.components[0]!.credential).toBe(later);
      expect(ids(result.counted)).toEqual([a.credentialId, b.credentialId, later.credentialId]);
    });

    it('completes each stage as early as possible so that later stages can count the most', () => {
      const twoOfThree: StackInput = {
        ordered: true,
        requirements: [{ minimum: 2, components: [{ achievementId: 'a' }, { achievementId: 'b' }, { achievementId: 'c' }] }, allOf('d')],
      };
      // Stage 1 is met on day 2 (a, b); c on day 8 is not needed; d on day 5 then counts.
      const result = evaluateStack(twoOfThree, [earned('a', 1), earned('b', 2), earned('c', 8), earned('d', 5)]);
      expect(result.satisfied).toBe(true);
      expect(result.requirements[0]!.completedAt).toEqual(at(2));
      expect(result.completedAt).toEqual(at(5));
      expect(result.counted.map((c) => c.achievementId)).toEqual(['a', 'b', 'd']);
    });

    it('is the same as unordered when the stages were earned in order', () => {
      const credentials = [earned('a', 1), earned('b', 2), earned('c', 3)];
      expect(evaluateStack(stack, credentials)).toEqual(evaluateStack({ ...stack, ordered: false }, credentials));
    });
  });

  describe('counted', () => {
    it('holds exactly the credentials the award rests on: the earliest of each requirement, once each, oldest first', () => {
      const stack: StackInput = {
        requirements: [
          { minimum: 1, components: [{ achievementId: 'a' }, { achievementId: 'b' }] },
          { minimum: 2, components: [{ achievementId: 'c' }, { achievementId: 'd' }, { achievementId: 'e' }] },
        ],
      };
      const a = earned('a', 4);
      const b = earned('b', 2);
      const bAgain = earned('b', 1);
      const c = earned('c', 9);
      const d = earned('d', 3);
      const e = earned('e', 5);
      const result = evaluateStack(stack, [a, b, bAgain, c, d, e]);
      expect(result.satisfied).toBe(true);
      expect(ids(result.counted)).toEqual([bAgain.credentialId, d.credentialId, e.credentialId]);
      expect(result.completedAt).toEqual(at(5));
    });
  });
});

describe(checkStackRules.name, () => {
  it('finds nothing wrong with a sound stack', () => {
    expect(
      checkStackRules(
        {
          requirements: [
            { name: 'Core', ...allOf('a', 'b') },
            { minimum: 2, components: [{ achievementId: 'c' }, { achievementId: 'd', versions: [1, 2] }, { achievementId: 'e' }] },
          ],
          ordered: true,
        },
        'stack',
      ),
    ).toEqual([]);
  });

  it('reports a component listed twice in one requirement', () => {
    expect(checkStackRules({ requirements: [allOf('a', 'b', 'a')] })).toEqual([
      { pointer: '#/stack/requirements/0/components/2', detail: 'achievement a is listed twice' },
    ]);
  });

  it('reports an achievement in two requirements', () => {
    expect(checkStackRules({ requirements: [allOf('a', 'b'), allOf('c', 'b')] })).toEqual([
      { pointer: '#/stack/requirements/1/components/1', detail: 'achievement b is already in requirement 1' },
    ]);
  });

  it('reports a stack that requires itself', () => {
    expect(checkStackRules({ requirements: [allOf('a', 'self')] }, 'self')).toEqual([
      { pointer: '#/stack/requirements/0/components/1', detail: 'a stack cannot require itself' },
    ]);
    expect(checkStackRules({ requirements: [allOf('a', 'self')] })).toEqual([]);
  });

  it('reports a minimum greater than the number of components', () => {
    expect(
      checkStackRules({ requirements: [allOf('x'), { minimum: 3, components: [{ achievementId: 'a' }, { achievementId: 'b' }] }] }),
    ).toEqual([{ pointer: '#/stack/requirements/1/minimum', detail: 'minimum 3 is more than the 2 components' }]);
  });

  it('reports every problem at once', () => {
    const problems = checkStackRules(
      { requirements: [{ minimum: 5, components: [{ achievementId: 'a' }, { achievementId: 'a' }, { achievementId: 's' }] }, allOf('a')] },
      's',
    );
    expect(problems.map((p) => p.pointer).sort()).toEqual(
      [
        '#/stack/requirements/0/components/1',
        '#/stack/requirements/0/components/2',
        '#/stack/requirements/0/minimum',
        '#/stack/requirements/1/components/0',
      ].sort(),
    );
  });
});

describe('componentIds', () => {
  it('lists every achievement a stack mentions, once, in order of appearance', () => {
    expect(
      componentIds({
        requirements: [allOf('b', 'a'), { minimum: 1, components: [{ achievementId: 'c', versions: [2] }, { achievementId: 'a' }] }],
      }),
    ).toEqual(['b', 'a', 'c']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties over random stacks and random earned credentials.

const ACHIEVEMENTS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

/** A valid stack: distinct achievements across requirements, minimum ≤ components, versions among 1..3. */
const stackArbitrary = (ordered: fc.Arbitrary<boolean | undefined>) =>
  fc
    .tuple(
      fc.shuffledSubarray(ACHIEVEMENTS, { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 8, maxLength: 8 }),
      fc.array(fc.option(fc.uniqueArray(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), { nil: undefined, freq: 2 }), {
        minLength: 8,
        maxLength: 8,
      }),
      fc.array(fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }), { minLength: 8, maxLength: 8 }),
      ordered,
    )
    .map(([chosen, sizes, versions, minimums, isOrdered]): StackInput => {
      const requirements: StackInput['requirements'] = [];
      let rest = chosen;
      let i = 0;
      while (rest.length > 0) {
        const take = rest.slice(0, sizes[i]!);
        rest = rest.slice(take.length);
        const minimum = minimums[i];
        requirements.push({
          components: take.map((achievementId, j) => ({ achievementId, versions: versions[(i + j) % 8] })),
          minimum: minimum === undefined ? undefined : Math.min(minimum, take.length),
        });
        i++;
      }
      return { requirements, ordered: isOrdered };
    });

type RawEarned = { achievementId: string; version: number; day: number };
/** One earned credential, mostly of the stack's own components (so that many stacks end up satisfied). */
const rawEarnedOf = (stack: StackInput): fc.Arbitrary<RawEarned> =>
  fc.record({
    achievementId: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...componentIds(stack)) }, fc.constantFrom(...ACHIEVEMENTS, 'z')),
    version: fc.integer({ min: 1, max: 3 }),
    day: fc.integer({ min: 0, max: 20 }),
  });
/** A stack with credentials earned, and one more credential. */
const caseArbitrary = (ordered: fc.Arbitrary<boolean | undefined>) =>
  stackArbitrary(ordered).chain((stack) =>
    fc.tuple(fc.constant(stack), fc.array(rawEarnedOf(stack), { maxLength: 16 }), rawEarnedOf(stack)),
  );
const UNORDERED = fc.constantFrom(undefined, false);

const toEarned = (raw: readonly RawEarned[], prefix = 'p'): EarnedCredential[] =>
  raw.map((r, i) => earned(r.achievementId, r.day, r.version, `${prefix}-${String(i).padStart(3, '0')}`));

const matches = (component: StackInput['requirements'][number]['components'][number], credential: EarnedCredential) =>
  credential.achievementId === component.achievementId &&
  (component.versions === undefined || component.versions.includes(credential.version));

/** Counts outcomes, so that a property can insist it was exercised both ways. */
const tally = () => {
  const seen = { yes: 0, no: 0 };
  return { seen, note: (satisfied: boolean) => (satisfied ? seen.yes++ : seen.no++) };
};

describe('stack rule properties', () => {
  it('for unordered stacks: satisfied iff every requirement has at least `needed` distinct components with a matching credential', () => {
    const { seen, note } = tally();
    fc.assert(
      fc.property(caseArbitrary(UNORDERED), ([stack, raw]) => {
        const credentials = toEarned(raw);
        const expected = stack.requirements.every((r) => {
          const have = r.components.filter((c) => credentials.some((e) => matches(c, e))).length;
          return have >= (r.minimum ?? r.components.length);
        });
        const { satisfied } = evaluateStack(stack, credentials);
        note(satisfied);
        expect(satisfied).toBe(expected);
      }),
      { numRuns: 400 },
    );
    expect(seen.yes).toBeGreaterThan(40);
    expect(seen.no).toBeGreaterThan(40);
  });

  it('for unordered stacks: adding an earned credential never turns satisfied into unsatisfied', () => {
    const { seen, note } = tally();
    fc.assert(
      fc.property(caseArbitrary(UNORDERED), ([stack, raw, extra]) => {
        const before = toEarned(raw);
        const after = [...before, earned(extra.achievementId, extra.day, extra.version, 'extra')];
        const wasSatisfied = evaluateStack(stack, before).satisfied;
        note(wasSatisfied);
        if (wasSatisfied) expect(evaluateStack(stack, after).satisfied).toBe(true);
      }),
      { numRuns: 400 },
    );
    expect(seen.yes).toBeGreaterThan(40);
  });

  it('counts only earned credentials, each at most once, each matching a component; exactly `needed` per requirement; none when unsatisfied', () => {
    const { seen, note } = tally();
    fc.assert(
      fc.property(caseArbitrary(fc.boolean()), ([stack, raw]) => {
        const credentials = toEarned(raw);
        const result = evaluateStack(stack, credentials);
        note(result.satisfied);
        for (const c of result.counted) expect(credentials).toContain(c);
        expect(new Set(ids(result.counted)).size).toBe(result.counted.length);
        const times = result.counted.map((c) => c.earnedAt.getTime());
        expect(times).toEqual([...times].sort((x, y) => x - y));
        if (!result.satisfied) {
          expect(result.counted).toEqual([]);
          expect(result.completedAt).toBeNull();
          return;
        }
        stack.requirements.forEach((requirement, i) => {
          const progress = result.requirements[i]!;
          const used = result.counted.filter((c) => requirement.components.some((component) => matches(component, c)));
          expect(used).toHaveLength(progress.needed);
          // The credentials used are among those shown for its components, and complete it when it says.
          for (const c of used) expect(progress.components.map((x) => x.credential)).toContain(c);
          expect(progress.completedAt).toEqual(new Date(Math.max(...used.map((c) => c.earnedAt.getTime()))));
        });
        expect(result.counted).toHaveLength(result.requirements.reduce((n, r) => n + r.needed, 0));
        expect(result.completedAt).toEqual(new Date(Math.max(...times)));
      }),
      { numRuns: 400 },
    );
    expect(seen.yes).toBeGreaterThan(40);
  });

  it('completes at the earliest moment the credentials allow: satisfied with those earned by then, not with those earned before', () => {
    const { seen, note } = tally();
    fc.assert(
      fc.property(caseArbitrary(fc.boolean()), ([stack, raw]) => {
        const credentials = toEarned(raw);
        const result = evaluateStack(stack, credentials);
        note(result.satisfied);
        if (!result.satisfied) return;
        const t = result.completedAt!.getTime();
        const byThen = evaluateStack(
          stack,
          credentials.filter((c) => c.earnedAt.getTime() <= t),
        );
        expect(byThen).toMatchObject({ satisfied: true, completedAt: result.completedAt });
        expect(
          evaluateStack(
            stack,
            credentials.filter((c) => c.earnedAt.getTime() < t),
          ).satisfied,
        ).toBe(false);
      }),
      { numRuns: 400 },
    );
    expect(seen.yes).toBeGreaterThan(40);
  });

  it('an ordered stack is never satisfied where the same stack unordered is not', () => {
    const { seen, note } = tally();
    fc.assert(
      fc.property(caseArbitrary(fc.constant(true)), ([stack, raw]) => {
        const credentials = toEarned(raw);
        const ordered = evaluateStack(stack, credentials).satisfied;
        note(ordered);
        if (ordered) expect(evaluateStack({ ...stack, ordered: false }, credentials).satisfied).toBe(true);
      }),
      { numRuns: 400 },
    );
    expect(seen.yes).toBeGreaterThan(20);
  });

  it('does not depend on the order the credentials are given in', () => {
    fc.assert(
      fc.property(
        caseArbitrary(fc.boolean()).chain(([stack, raw]) =>
          fc.tuple(
            fc.constant(stack),
            fc.constant(raw),
            fc.shuffledSubarray([...raw.keys()], { minLength: raw.length, maxLength: raw.length }),
          ),
        ),
        ([stack, raw, order]) => {
          const credentials = toEarned(raw);
          const shuffled = order.map((i) => credentials[i]!);
          const a = evaluateStack(stack, credentials);
          const b = evaluateStack(stack, shuffled);
          expect(b.satisfied).toBe(a.satisfied);
          expect(b.completedAt).toEqual(a.completedAt);
          expect(b.requirements).toEqual(a.requirements);
          expect(ids(b.counted).sort()).toEqual(ids(a.counted).sort());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('finds no problems in the stacks generated (distinct achievements, minimum within range)', () => {
    fc.assert(
      fc.property(stackArbitrary(fc.boolean()), (stack) => {
        expect(checkStackRules(stack, 'stack')).toEqual([]);
        expect(componentIds(stack).sort()).toEqual(stack.requirements.flatMap((r) => r.components.map((c) => c.achievementId)).sort());
      }),
    );
  });
});
