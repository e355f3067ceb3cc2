/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): self time by function, and inclusive time of named stages.
 *   npx tsx bench/profiles/summarise.ts <file.cpuprofile> <requests served>
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, requests] = process.argv.slice(2);
if (file === undefined || requests === undefined) throw new Error('usage: summarise.ts <file.cpuprofile> <requests>');
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const time = new Map<number, number>();
profile.samples.forEach((s, i) => time.set(s, (time.get(s) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const name = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`;

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
for (const n of profile.nodes) {
  const t = time.get(n.id) ?? 0;
  total += t;
  self.set(name(n), (self.get(name(n)) ?? 0) + t);
  const seen = new Set<string>();
  for (let q: number | undefined = n.id; q !== undefined; q = parent.get(q)) {
    const k = name(byId.get(q)!);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + t);
  }
}
const per = (us: number) => `${(us / 1000 / Number(requests)).toFixed(2)} ms/req`;
const pct = (us: number) => `${((us / total) * 100).toFixed(1)}%`.padStart(6);
const out = (line: string) => process.stdout.write(`${line}\n`);
out(`${(total / 1e6).toFixed(1)} s sampled, ${requests} requests`);
out('self time:');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) out(`  ${pct(v)}  ${per(v).padStart(13)}  ${k}`);
const stages =
  /^(issueWithin|signCredential|canonize|validate|allocate|insertCredential|embeddable|newClaimLink|onIssued|record|findApiKey|buildCredential|executeQuery|writev|verifyCredential|verify|checkStatus|signedList|resolveDid|verifyProof|verifySignature|fetchDocument|verifyListCredential|decodeBitstring) /;
out('inclusive time of stages (synchronous parts only: time after an await is counted under the microtask queue):');
for (const [k, v] of [...inclusive]
  .filter(([k]) => stages.test(k))
  .sort((a, b) => b[1] - a[1])
  .slice(0, 20)) {
  out(`  ${pct(v)}  ${per(v).padStart(13)}  ${k}`);
}
