/** The ordered, static list of migrations: tsc output, tsx and vitest all see the same set. */
import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_status_lists.js';
import * as m0003 from './0003_security.js';
import * as m0004 from './0004_earner_access.js';
import * as m0005 from './0005_programmes.js';
import * as m0006 from './0006_batches.js';
import * as m0007 from './0007_scale_indexes.js';
import * as m0008 from './0008_interop.js';
import * as m0009 from './0009_ob3_api.js';
import * as m0010 from './0010_unique_vc_ids.js';

export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_status_lists': m0002,
  '0003_security': m0003,
  '0004_earner_access': m0004,
  '0005_programmes': m0005,
  '0006_batches': m0006,
  '0007_scale_indexes': m0007,
  '0008_interop': m0008,
  '0009_ob3_api': m0009,
  '0010_unique_vc_ids': m0010,
};
