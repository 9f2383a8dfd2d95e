/**
 * A tiny runner for userns-chapter.ts: node --import tsx run-userns.ts COMMAND…
 * Prints "host-pid N" on stderr once the container's first process exists.
 */
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { PROJECT, ROOTFS } from '../../toolkit/paths.ts';
import { ensureRootfs } from '../../toolkit/rootfs/build.ts';
import { runContainer } from '../../toolkit/runtime/run.ts';

ensureRootfs(ROOTFS);
const code = await runContainer(
  { 2: path.join(PROJECT, 'solutions/02-namespaces/container.ts'), 6: fileURLToPath(new URL('./userns-chapter.ts', import.meta.url)) },
  {
    id: crypto.randomBytes(6).toString('hex'),
    name: 'userns-proof',
    hostname: 'userns-proof',
    rootfs: ROOTFS,
    command: process.argv.slice(2),
    env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
    limits: {},
    stats: false,
    keep: false,
    network: 'none',
    publish: [],
    uidMap: [],
    gidMap: [],
    rootless: false,
    plainRootfs: true,
  },
  { onStart: (pid) => process.stderr.write(`host-pid ${pid}\n`) },
);
process.exit(code);
