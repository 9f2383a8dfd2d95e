/** Every TODO step of chapters 1–7 has its three hints in the manifest (npm run hint N.M). */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { CHAPTERS, HINTS } from '../../toolkit/chapters.ts';
import { PROJECT } from '../../toolkit/paths.ts';
import { SEQUENCE } from '../../toolkit/runtime/sequence.ts';

test('each TODO(N.M) of chapters 1–7 has three hints', () => {
  const missing = CHAPTERS.filter((c) => c.number <= 7).flatMap((c) => {
    const text = fs.readFileSync(path.join(PROJECT, 'chapters', c.slug, 'container.ts'), 'utf8');
    return [...new Set([...text.matchAll(/TODO\((\d+\.\d+)\)/g)].map((m) => m[1]!))].filter((s) => HINTS[s]?.length !== 3);
  });
  expect(missing).toEqual([]);
});

test('every step of the sequence is exported by its chapter\'s reference solution and learner file', async () => {
  const missing: string[] = [];
  for (const spec of SEQUENCE) {
    const info = CHAPTERS.find((c) => c.number === spec.chapter)!;
    for (const tree of ['solutions', 'chapters']) {
      const m = (await import(path.join(PROJECT, tree, info.slug, 'container.ts'))) as Record<string, unknown>;
      if (typeof m[spec.step] !== 'function') missing.push(`${tree}/${info.slug} ${spec.step}`);
    }
  }
  expect(missing).toEqual([]);
});
