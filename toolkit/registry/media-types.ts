/**
 * What a registry may answer for a manifest, and how big the workbook lets
 * it be. Two families describe the same things: OCI's (image-spec) and
 * Docker's older ones, which registries still serve for most images.
 *
 *   list of images per platform:   OCI image index      Docker manifest list
 *   one image:                     OCI image manifest   Docker image manifest v2, schema 2
 *
 * A client says which it understands in Accept; a registry that has only an
 * OCI manifest and is not told OCI is fine answers 404 (distribution 2.8:
 * "OCI manifest found, but accept header does not support OCI manifests").
 * https://github.com/opencontainers/image-spec/blob/main/media-types.md
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
import os from 'node:os';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export const INDEX_TYPES: readonly string[] = [OCI_INDEX, DOCKER_LIST];
export const MANIFEST_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];

export const CONFIG_TYPES: readonly string[] = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'];
export const LAYER_TYPES: readonly string[] = [
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
];

/**
 * distribution-spec: registries SHOULD accept manifests of at least 4 MiB and
 * MAY refuse larger ones; a client that reads whatever it is sent can be made
 * to fill its memory. The config is JSON read whole too, so it has a bound.
 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/** An image-index entry's platform (image-spec image-index.md, "platform"). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** This machine, in Go's GOARCH names as images use them: linux/amd64, linux/arm64/v8. */
export function hostPlatform(): Platform {
  const architecture = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', riscv64: 'riscv64', s390x: 's390x', ppc64: 'ppc64le' } as Record<string, string>)[os.arch()] ?? os.arch();
  return architecture === 'arm64' ? { os: 'linux', architecture, variant: 'v8' } : { os: 'linux', architecture };
}

export function formatPlatform(p: Partial<Platform> | undefined): string {
  if (!p) return '(no platform)';
  return [p.os ?? '?', p.architecture ?? '?', ...(p.variant ? [p.variant] : [])].join('/');
}
