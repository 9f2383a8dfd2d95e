/**
 * What chapter 9's registries serve: the workbook's images (skopeo copies
 * them in, toolkit/registry/seed.ts), two bad images no honest tool makes, and
 * two whose config's Entrypoint and Cmd are in exec and in shell form.
 * Seeding is most of the suite's set-up — eight skopeo copies — so the selftest,
 * which runs the suite many times (untouched, each mutant, the cheater), seeds
 * one storage once and hands it to every run in WORKBOOK_TEST_REGISTRY_STORAGE;
 * each run still starts its own registries on it (their access logs are what
 * the checks read). A run on its own seeds its own storage, as before.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseLayer } from '../../toolkit/image/demo.ts';
import { REF_NAME, writeImage, type ImageConfig } from '../../toolkit/image/layout.ts';
import { OCI_INDEX, hostPlatform } from '../../toolkit/registry/media-types.ts';
import { pushLayout, seedRegistry, writeImageFor } from '../../toolkit/registry/seed.ts';
import { startRegistry } from '../../toolkit/registry/server.ts';
import { ustar } from './registry.ts';

/** The storage the selftest seeded for every run of the suite, if any. */
export const SEEDED_STORAGE = process.env.WORKBOOK_TEST_REGISTRY_STORAGE || undefined;

/** Pushes everything the suite pulls to the registry at `host`; `scratch` holds the bad images' layout. */
export function seedSuiteRegistry(host: string, scratch: string): void {
  seedRegistry(host);
  // Two images no honest tool makes: a layer with "../", and one that writes through its own symlink.
  const bad = path.join(scratch, 'bad');
  writeImage(bad, 'dotdot', [{ tar: ustar([{ name: 'etc', type: '5' }, { name: '../../../tmp/escaped', type: '0', body: 'out\n' }]), createdBy: 'a layer with ../' }]);
  writeImage(bad, 'symlink', [{ tar: ustar([{ name: 'evil', type: '2', link: '/etc' }, { name: 'evil/cron.d-x', type: '0', body: 'out\n' }]), createdBy: 'a layer writing through a symlink' }]);
  pushLayout(bad, 'dotdot', host, 'bad/dotdot:latest');
  pushLayout(bad, 'symlink', host, 'bad/symlink:latest');
  // Two images whose config says what runs, as a Dockerfile's CMD and ENTRYPOINT write it.
  pushConfigImage(host, scratch, 'exec', { Entrypoint: ['/bin/sleep'], Cmd: ['42'] }); // exec form: ENTRYPOINT ["/bin/sleep"] CMD ["42"]
  pushConfigImage(host, scratch, 'shell', { Cmd: ['/bin/sh', '-c', 'echo "home=$HOME"; exec sleep 44'] }); // shell form: CMD echo "home=$HOME"; exec sleep 44
}

/** cmd/NAME:latest: the workbook's base layer, with `config` (Entrypoint, Cmd) in its image config. */
function pushConfigImage(host: string, scratch: string, name: string, config: Partial<ImageConfig['config']>): void {
  const layout = path.join(scratch, `cmd-${name}`);
  const manifest = writeImageFor(layout, hostPlatform(), [baseLayer()], config);
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...manifest, annotations: { [REF_NAME]: name } }] }));
  pushLayout(layout, name, host, `cmd/${name}:latest`);
}

/**
 * Seeds a storage in /tmp/workbook-registryseed-PID-… (named after the caller, so `npm run clean`
 * leaves it while the caller lives) through a registry of its own; returns its folder and a remover.
 */
export async function seedStorage(): Promise<{ storage: string; remove(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-registryseed-${process.pid}-`));
  const storage = path.join(dir, 'storage');
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const registry = await startRegistry({ storage });
    try {
      seedSuiteRegistry(registry.host, path.join(dir, 'scratch'));
    } finally {
      await registry.stop();
    }
    fs.rmSync(path.join(dir, 'scratch'), { recursive: true, force: true });
    return { storage, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
