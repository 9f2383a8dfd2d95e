/**
 * Defect 4 of issue 12: a runner SIGKILLed after it said "go" but before the
 * child stage had set PR_SET_PDEATHSIG left the container running. The pause
 * hook holds the child stage just before that prctl and the runner just after
 * "go"; the runner is killed there, then the child goes on. It must stop
 * before any of the container runs.
 */
import { describe, expect, test } from 'vitest';
import { Runner, exists, resume, runnerArgs, until } from './support.ts';

describe('a killed runner leaves no container', () => {
  test.each([2, 6])('chapter %i: killed between "go" and the child stage\'s PR_SET_PDEATHSIG, the container never runs its command', async (chapter) => {
    const runner = new Runner(runnerArgs(chapter, ['--', '/bin/sh', '-c', 'echo container-ran; sleep 30']), { pause: 'child-start,after-go' });
    const child = await runner.paused('child-start');
    await runner.paused('after-go');
    runner.process.kill('SIGKILL');
    await until(() => !exists(runner.process.pid!));
    const tidy = resume(child);
    try {
      expect(await until(() => !exists(child), 5000)).toBe(true);
      const ended = await runner.done;
      expect(ended.stdout).not.toContain('container-ran');
    } finally {
      tidy();
    }
  });
});
