/** The runner's options are checked before anything is created. */
import { describe, expect, test } from 'vitest';
import { UsageError } from '../../toolkit/runtime/errors.ts';
import { parseRunnerOptions } from '../../toolkit/runtime/options.ts';
import { requireMapped } from '../../toolkit/userns/id-maps.ts';

describe('runner options', () => {
  test('options stop at -- and the command keeps its own flags', () => {
    const o = parseRunnerOptions(['--solution', '--hostname', 'web1', '--', '/bin/sh', '-c', 'echo hi']);
    expect(o).toMatchObject({ solution: true, hostname: 'web1', command: ['/bin/sh', '-c', 'echo hi'] });
  });

  test('the first word that is not an option starts the command', () => {
    expect(parseRunnerOptions(['ls', '-l']).command).toEqual(['ls', '-l']);
    expect(parseRunnerOptions(['--name=db', 'ps']).command).toEqual(['ps']);
  });

  test('defaults: no command (the the image Cmd, or an interactive shell: see image-config.test.ts), hostname = name', () => {
    const o = parseRunnerOptions(['--name', 'db_1']);
    expect(o.command).toEqual([]);
    expect(o.hostname).toBe('db-1');
  });

  test('two different --network values are refused, as docker does: one network namespace per container', () => {
    expect(() => parseRunnerOptions(['--network', 'none', '--network=bridge'])).toThrow(UsageError);
    expect(() => parseRunnerOptions(['--network', 'none', '--network=bridge'])).toThrow(/^Expected one --network, got "none" and "bridge": a container has one network namespace$/);
    expect(parseRunnerOptions(['--network', 'none', '--network', 'none']).network).toBe('none');
  });

  test('a pod: container:NAME joins, and conflicts with what NAME already decides', () => {
    expect(parseRunnerOptions(['--network', 'container:app', '--pid', 'container:app']).join).toEqual({ net: 'app', pid: 'app' });
    expect(() => parseRunnerOptions(['--network', 'container:app', '-p', '8080:80'])).toThrow(/--publish with --network container:app/);
    expect(() => parseRunnerOptions(['--network', 'container:'])).toThrow(/container:NAME, got "container:"/);
    expect(() => parseRunnerOptions(['--pid', 'container:a/b'])).toThrow(/Expected --pid to be container:NAME/);
  });

  test('a --user the user namespace does not map is refused before the run (setresuid would be EINVAL)', () => {
    const maps = [{ inside: 0, outside: 1000000000, count: 65536 }];
    expect(() => requireMapped('uid', [65535], maps, '--user 65535')).not.toThrow();
    expect(() => requireMapped('uid', [70000], maps, '--user 70000')).toThrow('--user 70000: uid 70000 is not mapped in the container\'s user namespace (its uid_map maps 0-65535)');
    expect(() => requireMapped('gid', [0, 65536], maps, '--user 0:65536')).toThrow(/gid 65536 .*setresgid\(2\)/);
  });

  test('limits: sizes, fractions of a CPU, task counts', () => {
    expect(parseRunnerOptions(['--memory', '64m', '--cpus', '0.5', '--pids', '20']).limits).toEqual({ memoryBytes: 64 * 1024 ** 2, cpus: 0.5, pids: 20 });
    expect(parseRunnerOptions(['--memory', '1g']).limits.memoryBytes).toBe(1024 ** 3);
    expect(parseRunnerOptions(['--memory', '16777216']).limits.memoryBytes).toBe(16777216);
    expect(() => parseRunnerOptions(['--memory', '1'])).toThrow(/at least 16m .*got "1"/);
    expect(() => parseRunnerOptions(['--memory', '8m'])).toThrow(/at least 16m/);
    expect(() => parseRunnerOptions(['--memory', '12X'])).toThrow('Expected --memory to be a size such as 64m, 1g or 1048576 (bytes), got "12X"');
    expect(() => parseRunnerOptions(['--cpus', '-1'])).toThrow(/Expected --cpus/);
    expect(() => parseRunnerOptions(['--pids', '0'])).toThrow(/Expected --pids to be a whole number of at least 1, got "0"/);
    expect(() => parseRunnerOptions(['--pids', '4'])).toThrow(/Expected --pids to be at least 16/);
  });

  test('published ports and ID maps', () => {
    expect(parseRunnerOptions(['--publish', '8080:80', '--publish=9000:90']).publish).toEqual([{ hostPort: 8080, containerPort: 80 }, { hostPort: 9000, containerPort: 90 }]);
    expect(() => parseRunnerOptions(['--publish', '70000:80'])).toThrow(/ports 1-65535/);
    expect(() => parseRunnerOptions(['--publish', '8080'])).toThrow(/HOSTPORT:CONTAINERPORT/);
    expect(parseRunnerOptions(['--uidmap', '0:100000:65536']).uidMap).toEqual([{ inside: 0, outside: 100000, count: 65536 }]);
    expect(() => parseRunnerOptions(['--uidmap', '0:100000:10', '--uidmap', '5:200000:10'])).toThrow(/not to overlap/);
    expect(() => parseRunnerOptions(['--gidmap', '0:x:1'])).toThrow(/INSIDE:OUTSIDE:COUNT/);
  });

  test('a hostname of 65 bytes is refused with the limit named', () => {
    expect(() => parseRunnerOptions(['--hostname', 'a'.repeat(65)])).toThrow('Expected --hostname to be at most 64 bytes (HOST_NAME_MAX), got 65 bytes');
    expect(parseRunnerOptions(['--hostname', 'a'.repeat(64)]).hostname).toHaveLength(64);
  });

  test('bad hostnames, names and options are refused', () => {
    expect(() => parseRunnerOptions(['--hostname', 'bad_name!'])).toThrow(/RFC 1123/);
    expect(() => parseRunnerOptions(['--name', '../x'])).toThrow(/--name/);
    expect(() => parseRunnerOptions(['--cgroupns', 'x'])).toThrow(/Unknown option --cgroupns/);
    expect(() => parseRunnerOptions(['--hostname'])).toThrow(/Expected a value after --hostname/);
  });
});

describe('hostile options (issue 12)', () => {
  test('a long --name is cut in the error, not echoed whole', () => {
    let message = '';
    try {
      parseRunnerOptions(['--name', 'x'.repeat(300)]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/\(300 characters\)/);
    expect(message.length).toBeLessThan(200);
  });
});
