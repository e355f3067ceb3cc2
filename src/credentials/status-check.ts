/**
 * The verifier's status step. Understands BitstringStatusListEntry (one object or an array, OB 3.0 allows one,
 * VCDM 2.0 many), StatusList2021Entry and 1EdTech's 1EdTechRevocationList. Fails closed: a list that cannot be
 * fetched, whose proof does not verify, or that cannot be decoded makes the outcome `error` ("status could not
 * be checked"), never a pass.
 */
import { bitAt, decodeBitstring, MIN_LIST_SIZE } from './status-list.js';
import { asArray, isObject, textOf, type Json } from './json.js';
import type { Outcome, StatusChecker, StatusOutcome } from './verify.js';

export interface LocalStatus {
  readonly status: 'active' | 'suspended' | 'revoked';
  readonly changedAt: Date | null;
  readonly reason: string | null;
}

export interface StatusCheckDeps {
  /** Fetches a JSON document (status list credential or revocation list) by URL. */
  readonly fetchDocument: (url: string) => Promise<unknown>;
  /** Verifies a status list credential's proof and dates; returns null when it verifies, else why not. */
  readonly verifyListCredential: (credential: Json) => Promise<string | null>;
  /**
   * For credentials this service issued: the recorded state, with date and reason (suspension lives here); found by
   * the credential's id (our URL, or a VC-API caller's id under its issuer's DID).
   */
  readonly localStatus?: (credentialId: string, issuerDid: string | undefined) => Promise<LocalStatus | undefined>;
}

const day = (date: Date | null) => (date === null ? '' : ` on ${date.toISOString().slice(0, 10)}`);
const because = (reason: string | null) => (reason ? `: ${reason}` : '');

class StatusUnavailable extends Error {}

/** Each entry may cost an outbound fetch: a credential with more than this many is not checked. */
export const MAX_STATUS_ENTRIES = 4;

async function checkBitstringEntry(entry: Json, deps: StatusCheckDeps): Promise<{ set: boolean; purpose: string }> {
  const purpose = textOf(entry.statusPurpose);
  const listUrl = entry.statusListCredential;
  const index = Number(textOf(entry.statusListIndex) || NaN);
  if (typeof listUrl !== 'string' || !/^https?:\/\//.test(listUrl)) throw new StatusUnavailable('statusListCredential is not a URL');
  if (!Number.isInteger(index) || index < 0 || textOf(entry.statusListIndex) !== String(index))
    throw new StatusUnavailable('statusListIndex is not a non-negative integer');
  let list: unknown;
  try {
    list = await deps.fetchDocument(listUrl);
  } catch (error) {
    throw new StatusUnavailable(`the status list ${listUrl} could not be retrieved (${(error as Error).message})`);
  }
  if (!isObject(list)) throw new StatusUnavailable(`${listUrl} is not a status list credential`);
  const types = asArray(list.type);
  const wanted = entry.type === 'StatusList2021Entry' ? 'StatusList2021Credential' : 'BitstringStatusListCredential';
  if (!types.includes(wanted)) throw new StatusUnavailable(`${listUrl} is not a ${wanted}`);
  const problem = await deps.verifyListCredential(list);
  if (problem !== null) throw new StatusUnavailable(`the status list ${listUrl} does not verify (${problem})`);
  const subject = asArray(list.credentialSubject)[0];
  if (!isObject(subject)) throw new StatusUnavailable(`${listUrl} has no credentialSubject`);
  if (!asArray(subject.statusPurpose).includes(purpose))
    throw new StatusUnavailable(
      `the status list is for ${textOf(subject.statusPurpose) || (JSON.stringify(subject.statusPurpose) ?? 'nothing')}, not ${purpose}`,
    );
  let bytes: Uint8Array;
  try {
    bytes = decodeBitstring(subject.encodedList);
  } catch (error) {
    throw new StatusUnavailable((error as Error).message);
  }
  const size = entry.statusSize === undefined ? 1 : typeof entry.statusSize === 'number' ? entry.statusSize : NaN;
  if (size !== 1) throw new StatusUnavailable(`statusSize ${size} is not supported`);
  if (bytes.length * 8 < MIN_LIST_SIZE && entry.type !== 'StatusList2021Entry')
    throw new StatusUnavailable('the status list is shorter than 131,072 entries');
  if (index >= bytes.length * 8) throw new StatusUnavailable('statusListIndex is beyond the end of the list');
  return { set: bitAt(bytes, index), purpose };
}

async function check1EdTechRevocationList(
  entry: Json,
  credentialId: string | undefined,
  deps: StatusCheckDeps,
): Promise<{ set: boolean; reason: string | null }> {
  if (typeof entry.id !== 'string') throw new StatusUnavailable('1EdTechRevocationList needs an id URL');
  let list: unknown;
  try {
    list = await deps.fetchDocument(entry.id);
  } catch (error) {
    throw new StatusUnavailable(`the revocation list ${entry.id} could not be retrieved (${(error as Error).message})`);
  }
  if (!isObject(list) || !Array.isArray(list.revokedCredential))
    throw new StatusUnavailable(`${entry.id} is not a 1EdTech revocation list`);
  const hit = list.revokedCredential.filter(isObject).find((r) => r.id === credentialId);
  return {
    set: hit !== undefined && hit.revoked !== false,
    reason: hit && typeof hit.revocationReason === 'string' ? hit.revocationReason : null,
  };
}

export function createStatusChecker(deps: StatusCheckDeps): StatusChecker {
  return async (credential): Promise<StatusOutcome | undefined> => {
    const credentialId = typeof credential.id === 'string' ? credential.id : undefined;
    const issuer = isObject(credential.issuer) ? credential.issuer.id : credential.issuer;
    const local =
      credentialId === undefined ? undefined : await deps.localStatus?.(credentialId, typeof issuer === 'string' ? issuer : undefined);
    const findings: Array<{ outcome: Outcome; message: string }> = [];
    const entries = asArray(credential.credentialStatus);
    if (entries.length === 0 && (local === undefined || local.status === 'active')) return undefined;
    if (entries.length > MAX_STATUS_ENTRIES) {
      return { outcome: 'error', message: `Status could not be checked: more than ${MAX_STATUS_ENTRIES} status entries` };
    }
    for (const entry of entries) {
      if (!isObject(entry)) {
        findings.push({ outcome: 'error', message: 'Status could not be checked: credentialStatus is not an object' });
        continue;
      }
      try {
        if (entry.type === 'BitstringStatusListEntry' || entry.type === 'StatusList2021Entry') {
          const { set, purpose } = await checkBitstringEntry(entry, deps);
          if (!set)
            findings.push({
              outcome: 'pass',
              message: `Not ${purpose === 'revocation' ? 'revoked' : purpose === 'suspension' ? 'suspended' : `flagged for ${purpose}`}`,
            });
          else if (purpose === 'revocation')
            findings.push({ outcome: 'fail', message: `Revoked${day(local?.changedAt ?? null)}${because(local?.reason ?? null)}` });
          else if (purpose === 'suspension')
            findings.push({ outcome: 'fail', message: `Suspended${day(local?.changedAt ?? null)}${because(local?.reason ?? null)}` });
          else findings.push({ outcome: 'pass', message: `Status ${purpose} is set (informational)` });
        } else if (entry.type === '1EdTechRevocationList') {
          const { set, reason } = await check1EdTechRevocationList(entry, credentialId, deps);
          findings.push(
            set
              ? { outcome: 'fail', message: `Revoked${because(reason)}` }
              : { outcome: 'pass', message: 'Not on the issuer’s revocation list' },
          );
        } else {
          findings.push({
            outcome: 'error',
            message: `Status could not be checked: ${JSON.stringify(entry.type) ?? 'an untyped entry'} is not a status method this verifier supports`,
          });
        }
      } catch (error) {
        if (!(error instanceof StatusUnavailable)) throw error;
        findings.push({ outcome: 'error', message: `Status could not be checked: ${error.message}` });
      }
    }
    // Suspension is recorded here for our own credentials (OB 3.0 allows a single status entry: revocation).
    if (local?.status === 'suspended')
      findings.push({ outcome: 'fail', message: `Suspended${day(local.changedAt)}${because(local.reason)}` });
    if (local?.status === 'revoked' && !findings.some((f) => f.message.startsWith('Revoked'))) {
      findings.push({ outcome: 'fail', message: `Revoked${day(local.changedAt)}${because(local.reason)}` });
    }
    const worst = findings.find((f) => f.outcome === 'fail') ?? findings.find((f) => f.outcome === 'error');
    if (worst) return worst;
    return { outcome: 'pass', message: findings.map((f) => f.message).join('; ') || 'No status to check' };
  };
}
