/**
 * npm run pull -- [--solution] [--creds USER:PASSWORD] HOST:PORT/NAME[:TAG|@sha256:…]
 *
 * `docker pull` with chapter 9's puller — yours, or the reference with
 * --solution: the manifest, then the config and each layer the store does
 * not have, verified while they stream, then the image is named in the store.
 */
import path from 'node:path';
import { importChapter } from '../build/chapter.ts';
import { chapterFile, findChapter } from '../chapters.ts';
import { runPull, type Puller } from '../registry/pull-command.ts';

const argv = process.argv.slice(2);
const target = argv.includes('--solution') ? 'solutions' : 'chapters';
// WORKBOOK_CHAPTER_FILE=9:path pulls with that file instead, as npm run chapter does (tests/mutants).
const override = /^9:(.+)$/.exec(process.env.WORKBOOK_CHAPTER_FILE ?? '')?.[1];
const file = override !== undefined ? path.resolve(override) : chapterFile(findChapter(9)!, target);
runPull(importChapter(file) as Promise<unknown> as Promise<Puller>, argv.filter((a) => a !== '--solution'));
