/**
 * Chapter 9's mutants, in the shape of tests/mutants/mutants.ts: the reference
 * solution with one TODO step left out or done the usual wrong way. Each was
 * graded with --bail 1 (npm run selftest -- --proofs --chapter 9): the first
 * failing check names its step. `checks` keeps each to the checks about its
 * step, since every run of the suite starts three registries and seeds them.
 */
import type { Mutant } from './mutants.ts';

export const CHAPTER_9_MUTANTS: readonly Mutant[] = [
  { chapter: 9, step: '9.1', name: 'a 401 not answered', checks: 'bearer',
    replace: [['    return { ref, base, progress, authorization: await authorize(challenge, ref, credentials) };', '    void challenge;\n    return { ref, base, progress };']] },
  { chapter: 9, step: '9.2', name: 'the realm asked without the credentials', checks: 'bearer',
    replace: [['const res = await request(url.href, { headers: basic ? { Authorization: basic } : {} });', 'const res = await request(url.href);']] },
  { chapter: 9, step: '9.3', name: 'Authorization forwarded to another host', checks: 'redirect',
    replace: [['if (session.authorization && new URL(current).origin === registry) headers.Authorization', 'if (session.authorization) headers.Authorization']] },
  { chapter: 9, step: '9.4', name: 'Accept without the OCI types', checks: 'a pull fetches',
    replace: [["[...INDEX_TYPES, ...MANIFEST_TYPES].join(', '))", "'application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json')"]] },
  { chapter: 9, step: '9.5', name: 'the first entry, whatever its platform', checks: 'index',
    replace: [['const match = entries.find((m) => MANIFEST_TYPES.includes(m.mediaType) && m.platform?.os === platform.os', 'const match = entries.find((m) => MANIFEST_TYPES.includes(m.mediaType) || m.platform?.os === platform.os']] },
  { chapter: 9, step: '9.6', name: 'no digest check', checks: 'hash to its digest',
    replace: [['if (actual !== d.digest) throw', 'if (actual !== d.digest && !actual) throw']] },
  { chapter: 9, step: '9.7', name: 'layers downloaded again', checks: 'a pull fetches|second pull',
    replace: [['if (layerInStore(layer)) {', 'if (layerInStore(layer) && !layer) {']] },
];
