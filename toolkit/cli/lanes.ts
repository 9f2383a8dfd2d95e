/**
 * Lanes: the selftest's proofs run on a few workers at once. Most of a proof
 * is waiting — vitest starting, a container's sleep, a signal's delivery —
 * so two lanes keep a 2-core machine busy where one left it idle.
 *
 * A job is one chapter's share of a proof step. Two jobs of the same chapter
 * never run at once (its checks use fixed names and ports), and neither do
 * two chapters that `apart` says disturb each other. Jobs start longest
 * first (the order given), each on the first lane that frees up: the
 * "longest processing time first" rule, good enough for a handful of jobs.
 */

export interface Job<T> {
  chapter: number;
  run(): Promise<T>;
}

/**
 * Runs every job, at most `lanes` at a time; resolves to their results in the order given.
 * `apart(a, b)`: chapters a and b must not run at the same time.
 */
export async function inLanes<T>(jobs: readonly Job<T>[], lanes: number, apart: (a: number, b: number) => boolean): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  const waiting = jobs.map((job, index) => ({ job, index }));
  const running = new Set<number>(); // chapters
  return new Promise((resolve, reject) => {
    let active = 0;
    const startWhatCan = () => {
      while (active < lanes) {
        const next = waiting.findIndex(({ job }) => ![...running].some((c) => c === job.chapter || apart(c, job.chapter)));
        if (next < 0) break; // the rest waits for a running chapter to end
        const [{ job, index }] = waiting.splice(next, 1) as [{ job: Job<T>; index: number }];
        active++;
        running.add(job.chapter);
        job.run().then(
          (result) => {
            results[index] = result;
            active--;
            running.delete(job.chapter);
            if (waiting.length === 0 && active === 0) resolve(results);
            else startWhatCan();
          },
          reject,
        );
      }
    };
    if (jobs.length === 0) resolve(results);
    else startWhatCan();
  });
}
