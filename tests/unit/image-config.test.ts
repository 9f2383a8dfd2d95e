/**
 * The image's configuration against the command line (toolkit/image/config.ts),
 * users resolved in an image's own account files (users.ts), and --volume's
 * checks (toolkit/volumes/options.ts). No root needed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { describeProcessConfig, exposureNote, mergeEnv, processConfig, type ProcessOverrides } from '../../toolkit/image/config.ts';
import { resolveUser } from '../../toolkit/image/users.ts';
import { LIB_DIR, PROJECT } from '../../toolkit/paths.ts';
import { parseRunnerOptions } from '../../toolkit/runtime/options.ts';
import { mountPointIn } from '../../toolkit/volumes/bind.ts';
import { parseVolume, refusedHostPath } from '../../toolkit/volumes/options.ts';

const none: ProcessOverrides = { command: [], env: [] };
const image = { Entrypoint: ['/usr/sbin/httpd', '-f'], Cmd: ['-p', '80'], Env: ['PATH=/usr/bin:/bin', 'HELLO=world'], WorkingDir: '/var/www', User: 'www', ExposedPorts: { '80/tcp': {} } };

describe('image config: Entrypoint + Cmd, Env, WorkingDir, User', () => {
  test('by default: Entrypoint + Cmd, the image\'s Env over the defaults (in place), its WorkingDir and User', () => {
    const p = processConfig(image, none, 'web1');
    expect(p.command).toEqual(['/usr/sbin/httpd', '-f', '-p', '80']);
    expect(p.env[0]).toBe('PATH=/usr/bin:/bin');
    expect(p.env).toContain('HELLO=world');
    expect(p.env).toContain('HOSTNAME=web1');
    expect(p.env.some((e) => e.startsWith('HOME='))).toBe(false); // the user's home, decided inside
    expect(p).toMatchObject({ workdir: '/var/www', user: 'www', exposedPorts: ['80/tcp'] });
  });

  test('a command on the line replaces Cmd and keeps the Entrypoint', () => {
    expect(processConfig(image, { ...none, command: ['-p', '8080'] }, 'h').command).toEqual(['/usr/sbin/httpd', '-f', '-p', '8080']);
    expect(processConfig({ Cmd: ['/bin/sh'] }, { ...none, command: ['ls', '-l'] }, 'h').command).toEqual(['ls', '-l']);
  });

  test('--entrypoint replaces the Entrypoint and drops Cmd; "" clears it', () => {
    expect(processConfig(image, { ...none, entrypoint: '/bin/echo' }, 'h').command).toEqual(['/bin/echo']);
    expect(processConfig(image, { ...none, entrypoint: '/bin/echo', command: ['hi'] }, 'h').command).toEqual(['/bin/echo', 'hi']);
    expect(processConfig(image, { ...none, entrypoint: '', command: ['ls'] }, 'h').command).toEqual(['ls']);
  });

  test('no image, or nothing to run: an interactive shell', () => {
    expect(processConfig(undefined, none, 'h').command).toEqual(['/bin/sh']);
    expect(processConfig({}, none, 'h')).toMatchObject({ command: ['/bin/sh'], exposedPorts: [] });
  });

  test('--env, --workdir, --user win over the image', () => {
    const p = processConfig(image, { ...none, env: ['HELLO=there', 'HOME=/x'], workdir: '/tmp', user: '1000:1000' }, 'h');
    expect(p.env).toContain('HELLO=there');
    expect(p.env).not.toContain('HELLO=world');
    expect(p).toMatchObject({ workdir: '/tmp', user: '1000:1000' });
    expect(mergeEnv(['A=1', 'B=2'], ['A=3'])).toEqual(['A=3', 'B=2']);
  });

  test('ExposedPorts are shown, published or not', () => {
    const p = processConfig(image, none, 'h');
    expect(exposureNote(p)).toBe('80/tcp (not published: --publish HOSTPORT:80)');
    expect(exposureNote({ ...p, publish: [{ hostPort: 8080, containerPort: 80 }] })).toBe('80/tcp (published)');
    expect(exposureNote({ exposedPorts: [] })).toBeNull();
    expect(describeProcessConfig(p).join('\n')).toMatch(/command: +\["\/usr\/sbin\/httpd","-f","-p","80"\]\nuser: +www\nworkdir: +\/var\/www/);
  });

  test('bad values are one line each', () => {
    expect(() => parseRunnerOptions(['--env', 'NOEQUALS'])).toThrow(/Expected --env to be NAME=VALUE/);
    expect(() => parseRunnerOptions(['--env', '=x'])).toThrow(/Expected --env to be NAME=VALUE/);
    expect(() => parseRunnerOptions(['--workdir', 'var/www'])).toThrow(/Expected --workdir to be an absolute path/);
    expect(() => parseRunnerOptions(['--user', 'a:b:c'])).toThrow(/Expected --user to be a name or uid/);
    expect(() => parseRunnerOptions(['--user', ''])).toThrow(/Expected a value after --user/);
    expect(() => processConfig({ WorkingDir: 'rel' }, none, 'h')).toThrow(/the image's WorkingDir to be an absolute path/);
    expect(() => processConfig({ Env: ['BAD'] }, none, 'h')).toThrow(/Env entries to be NAME=VALUE/);
    expect(parseRunnerOptions(['--entrypoint=', 'ls']).entrypoint).toBe('');
  });
});

describe('users: resolved in the image\'s /etc/passwd and /etc/group', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\nnobody:x:65534:65534::/nonexistent:/bin/false\n';
  const group = 'root:x:0:\nwww:x:33:\nstaff:x:50:www,alice\nlogs:x:60:www\nnogroup:x:65534:\n';

  test('a name: its uid, gid, home, and the groups that list it as supplementary', () => {
    expect(resolveUser('www', passwd, group)).toEqual({ uid: 33, gid: 33, groups: [50, 60], home: '/var/www' });
  });
  test('a uid in passwd takes its entry; an unknown uid is allowed, with gid 0 and HOME=/', () => {
    expect(resolveUser('33', passwd, group)).toMatchObject({ uid: 33, gid: 33, groups: [50, 60] });
    expect(resolveUser('4242', passwd, group)).toEqual({ uid: 4242, gid: 0, groups: [], home: '/' });
  });
  test('an explicit group (name or gid) replaces the primary group and drops supplementary ones', () => {
    expect(resolveUser('www:staff', passwd, group)).toEqual({ uid: 33, gid: 50, groups: [], home: '/var/www' });
    expect(resolveUser('1000:1000', passwd, group)).toEqual({ uid: 1000, gid: 1000, groups: [], home: '/' });
  });
  test('unknown names are one line', () => {
    expect(() => resolveUser('alice', passwd, group)).toThrow(/unable to find user alice: no matching entry in the image's \/etc\/passwd/);
    expect(() => resolveUser('www:wheel', passwd, group)).toThrow(/unable to find group wheel/);
    // A number past the 32-bit ID range is no name to look up: say the range.
    expect(() => resolveUser('99999999999', passwd, group)).toThrow(/^uid 99999999999 is out of range \(0\.\.4294967294\)$/);
    expect(() => resolveUser('0:4294967295', passwd, group)).toThrow(/^gid 4294967295 is out of range \(0\.\.4294967294\)$/);
    expect(() => resolveUser('www', null, null)).toThrow(/the image has no \/etc\/passwd/);
  });
  test('a number past 4294967294 is out of range, not a name to look up', () => {
    expect(() => resolveUser('99999999999', passwd, group)).toThrow(/^uid 99999999999 is out of range \(0\.\.4294967294\)$/);
    expect(() => resolveUser('www:4294967295', passwd, group)).toThrow(/^gid 4294967295 is out of range \(0\.\.4294967294\)$/);
    expect(resolveUser('4294967294', passwd, group)).toMatchObject({ uid: 4294967294 });
  });
});

describe('volumes: HOST_DIR:CONTAINER_PATH[:ro], and the host paths refused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workbook-unit-volume-'));

  test('a host directory, resolved; the container path normalized', () => {
    expect(parseVolume(`${dir}:/data/`)).toEqual({ source: fs.realpathSync(dir), target: '/data', readOnly: false });
    expect(parseVolume(`${dir}:/srv//x:ro`)).toEqual({ source: fs.realpathSync(dir), target: '/srv/x', readOnly: true });
    fs.rmSync(dir, { recursive: true });
  });

  test('the host\'s root, kernel trees and the workbook\'s own places are refused, also from above', () => {
    for (const p of ['/', '/proc', '/proc/1', '/sys/fs/cgroup', '/dev', '/boot', LIB_DIR, path.join(LIB_DIR, 'layers'), path.dirname(LIB_DIR), PROJECT]) {
      expect(refusedHostPath(p), p).not.toBeNull();
    }
    expect(refusedHostPath('/srv/data')).toBeNull();
  });

  test('malformed or missing: one line', () => {
    expect(() => parseVolume('/tmp')).toThrow(/Expected --volume to be HOST_DIR:CONTAINER_PATH/);
    expect(() => parseVolume('rel:/x')).toThrow(/Expected --volume/);
    expect(() => parseVolume('/tmp:/x:rx')).toThrow(/Expected --volume/);
    expect(() => parseVolume('/tmp:/')).toThrow(/cannot be the container's root/);
    expect(() => parseVolume('/nonexistent-workbook-dir:/x')).toThrow(/does not exist on the host/);
  });

  test('the mount point is resolved inside the root: an image\'s symlinks and ".." cannot reach the host', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'workbook-unit-root-'));
    fs.mkdirSync(path.join(root, 'etc'));
    fs.symlinkSync('/etc', path.join(root, 'data')); // absolute: means the container's /etc
    fs.symlinkSync('../../../..', path.join(root, 'up'));
    try {
      expect(mountPointIn(root, '/data/x')).toBe(path.join(root, 'etc/x'));
      expect(fs.statSync(path.join(root, 'etc/x')).isDirectory()).toBe(true);
      expect(mountPointIn(root, '/up/srv')).toBe(path.join(root, 'srv'));
      expect(mountPointIn(root, '/../../tmp/y')).toBe(path.join(root, 'tmp/y'));
      fs.writeFileSync(path.join(root, 'file'), '');
      expect(() => mountPointIn(root, '/file/z')).toThrow(/is not a directory in the image/);
    } finally {
      fs.rmSync(root, { recursive: true });
    }
  });
});
