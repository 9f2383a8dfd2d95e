/**
 * npm run docs — builds the workshop site (decks and lessons) into
 * build/site. It needs no network and no server: open build/site/index.html.
 */
import path from 'node:path';
import { PROJECT } from '../paths.ts';
import { buildSite } from './build.ts';

const site = await buildSite();
const where = path.relative(PROJECT, site.dir);
console.log(`built ${where}: ${site.decks.length} decks, ${site.lessons.length} lessons`);
console.log(`open ${where}/index.html, or run npm run slides for the live demos`);
