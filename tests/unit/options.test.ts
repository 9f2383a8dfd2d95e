/** The runner's options are checked before anything is created. */
import { describe, expect, test } from 'vitest';
import { parseRunnerOptions } from '../../toolkit/runtime/options.ts';

describe('runner options', () => {
  test('options stop at -- and the command keeps its own flags', () => {
    const o = parseRunnerOptions(['--solution', '--hostname', 'web1', '--', '/bin/sh', '-c', 'echo hi']);
    expect(o).toMatchObject({ solution: true, hostname: 'web1', command: ['/bin/sh', '-c', 'echo hi'] });
  });

  test('the first word that is not an option starts the command', () => {
    expect(parseRunnerOptions(['ls', '-l']).command).toEqual(['ls', '-l']);
    expect(parseRunnerOptions(['--name=db', 'ps']).command).toEqual(['ps']);
  });

  test('defaults: an interactive shell, hostname = name', () => {
    const o = parseRunnerOptions(['--name', 'db_1']);
    expect(o.command).toEqual(['/bin/sh']);
    expect(o.hostname).toBe('db-1');
  });

  test('a hostname of 65 bytes is refused with the limit named', () => {
    expect(() => parseRunnerOptions(['--hostname', 'a'.repeat(65)])).toThrow('Expected --hostname to be at most 64 bytes (HOST_NAME_MAX), got 65 bytes');
    expect(parseRunnerOptions(['--hostname', 'a'.repeat(64)]).hostname).toHaveLength(64);
  });

  test('bad hostnames, names and options are refused', () => {
    expect(() => parseRunnerOptions(['--hostname', 'bad_name!'])).toThrow(/RFC 1123/);
    expect(() => parseRunnerOptions(['--name', '../x'])).toThrow(/--name/);
    expect(() => parseRunnerOptions(['--memory', '1g'])).toThrow(/Unknown option --memory/);
    expect(() => parseRunnerOptions(['--hostname'])).toThrow(/Expected a value after --hostname/);
  });
});
