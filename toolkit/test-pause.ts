/**
 * A test-only hook: WORKBOOK_TEST_PAUSE=STAGE[,STAGE…] makes the process that
 * reaches one of the named moments stop there, announce itself on stderr
 *
 *   workbook-test: paused at after-veth pid 4242
 *
 * (the host's PID, also from inside a new PID namespace) and wait. The fault
 * battery (tests/faults) then kills the runner at exactly that moment, never
 * by sleeping and hoping. A paused process goes on once /tmp/workbook-resume-PID
 * exists. Without the variable this costs one comparison.
 *
 * Stages: before-unshare, after-spawn, after-go (runner); after-cgroup,
 * after-veth, after-dnat (the host side, in toolkit calls); child-start (the
 * child stage, before PR_SET_PDEATHSIG), after-overlay (the child stage).
 */
import fs from 'node:fs';

const STAGES = new Set((process.env.WORKBOOK_TEST_PAUSE ?? '').split(',').filter(Boolean));

export function pauseForTest(stage: string): void {
  if (!STAGES.has(stage)) return;
  // /proc is still the host's here (child-start, after-overlay happen before /proc is remounted): /proc/self is the host PID.
  const pid = Number(fs.readlinkSync('/proc/self'));
  fs.writeSync(2, `workbook-test: paused at ${stage} pid ${pid}\n`);
  const resume = `/tmp/workbook-resume-${pid}`;
  const tick = new Int32Array(new SharedArrayBuffer(4));
  // Blocks this thread (timers and signal handlers of the event loop too): only SIGKILL or the file ends it.
  while (!fs.existsSync(resume)) Atomics.wait(tick, 0, 0, 10);
}
