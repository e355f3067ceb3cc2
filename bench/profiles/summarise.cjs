// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and inclusive time of named stages.
// Usage: node bench/profiles/summarise.cjs <file.cpuprofile> <requests served>
const fs = require('node:fs');
const [file, requests] = process.argv.slice(2);
const p = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const time = new Map();
p.samples.forEach((s, i) => time.set(s, (time.get(s) ?? 0) + (p.timeDeltas[i] ?? 0)));
const name = (n) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`;
const self = new Map();
const inclusive = new Map();
let total = 0;
for (const n of p.nodes) {
  const t = time.get(n.id) ?? 0;
  total += t;
  self.set(name(n), (self.get(name(n)) ?? 0) + t);
  const seen = new Set();
  for (let q = n.id; q !== undefined; q = parent.get(q)) {
    const k = name(byId.get(q));
    if (!seen.has(k)) inclusive.set(k, (inclusive.get(k) ?? 0) + t), seen.add(k);
  }
}
const per = (us) => `${(us / 1000 / Number(requests)).toFixed(2)} ms/req`;
const pct = (us) => `${((us / total) * 100).toFixed(1)}%`.padStart(6);
console.log(`${(total / 1e6).toFixed(1)} s sampled, ${requests} requests`);
console.log('self time:');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(v)}  ${per(v).padStart(13)}  ${k}`);
const stages = /^(issueWithin|signCredential|canonize|validate|allocate|insertCredential|embeddable|newClaimLink|onIssued|record|findApiKey|buildCredential|executeQuery|writev|verifyCredential|verify|checkStatus|signedList|resolveDid|verifyProof|verifySignature|fetchDocument|verifyListCredential|encodeBitstring|decodeBitstring|gunzip|inflateSync) /;
console.log('inclusive time of stages:');
for (const [k, v] of [...inclusive].filter(([k]) => stages.test(k)).sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`  ${pct(v)}  ${per(v).padStart(13)}  ${k}`);
