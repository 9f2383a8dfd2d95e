/**
 * User namespaces from the host's side (chapter 6): which IDs to map, writing
 * the maps, and the helpers an ordinary user needs for more than their own ID.
 */
export { UNSAFE_HOST_ROOT, refuseHostRoot, canWriteIdMap, idMapsFor, ownId, requireMapped, rootless, spell, type IdKind } from './id-maps.ts';
export { mappedRange } from './mapped-range.ts';
export { writeProcFile } from './proc-files.ts';
export { newIdMap } from './new-id-map.ts';
export { grantedRanges } from './subordinate-ids.ts';
export { containerTmpDir } from './container-tmp.ts';
