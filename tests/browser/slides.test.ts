/**
 * The workshop slides in a real browser (headless Chromium): the site is
 * built, served by the slides server, navigated with the keyboard, and chapter
 * 2's live demo is run for real, as root, with the reference solution.
 *
 * Two test-only demos join the table here, through the server's options (the
 * browser still only names ids): "hold" runs until it is stopped, so that
 * "one at a time" and "stop when the page closes" can be watched; "brief" has
 * a 3 s time limit.
 *
 *   npm run test:browser       (needs root and Debian's chromium)
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHAPTERS } from '../../toolkit/chapters.ts';
import { PROJECT } from '../../toolkit/paths.ts';
import { isAlive, listStates } from '../../toolkit/runtime/state.ts';
import { buildSite, type BuiltSite } from '../../toolkit/slides/build.ts';
import { availableDemos, type Demo } from '../../toolkit/slides/demos.ts';
import { createSlidesServer, type SlidesServer } from '../../toolkit/slides/server.ts';
import { startChromium, type Browser } from './chromium.ts';

const ARTIFACTS = path.join(PROJECT, 'build', 'artifacts');
const HOLD_COMMAND = ['--', '/bin/sh', '-c', 'trap "exit 143" TERM; echo holding; sleep 30 & wait'];
const HOLD: Demo = { id: 'test-hold', chapter: 2, args: HOLD_COMMAND, watchFor: '', expectedStatus: 0, timeLimitMs: 20_000 };
const BRIEF: Demo = { ...HOLD, id: 'test-brief', timeLimitMs: 3000 };

let site: BuiltSite;
let slides: SlidesServer;
let base: string;
let port: number;
let browser: Browser;
const log: string[] = [];

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the browser test runs live demos, which need root: sudo npm run test:browser');
  site = await buildSite();
  slides = createSlidesServer({ siteDir: site.dir, demos: [...availableDemos(), HOLD, BRIEF], isRoot: true, log: (line) => log.push(line) });
  port = await listen(slides.http);
  base = `http://127.0.0.1:${port}`;
  browser = await startChromium();
});

afterAll(async () => {
  await slides?.stopDemo('the test ended');
  slides?.http.closeAllConnections();
  slides?.http.close();
  await browser?.close();
});

describe('the site', () => {
  test('npm run docs builds every deck and lesson, with nothing loaded from elsewhere', () => {
    expect(site.decks).toContain('decks/00-intro.html');
    for (const chapter of CHAPTERS) {
      expect(site.decks).toContain(`decks/${chapter.slug}.html`);
      if (fs.existsSync(path.join(PROJECT, 'chapters', chapter.slug, 'README.md'))) expect(site.lessons).toContain(`lessons/${chapter.slug}.html`);
    }
    const broken: string[] = [];
    for (const page of [...site.decks, ...site.lessons, 'index.html']) {
      const html = fs.readFileSync(path.join(site.dir, page), 'utf8');
      expect(html, page).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:)?\/\//);
      // Every link inside the site leads to a page of the site (lesson ⇄ deck, deck → deck).
      for (const [, href] of html.matchAll(/href="(?![a-z][a-z\d+.-]*:)([^"#?]+)[^"]*"/g)) {
        if (!fs.existsSync(path.join(site.dir, path.dirname(page), href!))) broken.push(`${page} → ${href}`);
      }
    }
    expect(broken, 'links to pages the site does not have').toEqual([]);
  });

  test('a deck is navigated with the keyboard, and the handout shows every slide', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/`);
    await page.locator('table.chapters tr', { has: page.getByText('namespaces', { exact: true }) }).getByRole('link', { name: 'slides' }).click();
    await expect.poll(() => page.url()).toBe(`${base}/decks/02-namespaces.html#1`);
    const total = await page.locator('.slide').count();
    const shown = () => Number(new URL(page.url()).hash.slice(1));
    for (const [key, slide] of [['ArrowRight', 2], ['Space', 3], ['ArrowLeft', 2], ['End', total], ['Home', 1]] as const) {
      await page.keyboard.press(key);
      await expect.poll(shown, { message: `after ${key}` }).toBe(slide);
    }
    await expect.poll(() => page.locator('.slide.current h1').textContent()).toContain('Namespaces');
    await expect.poll(() => page.locator('.slide-footer a', { hasText: 'lesson' }).first().getAttribute('href')).toBe('../lessons/02-namespaces.html');

    await page.goto(`${base}/decks/02-namespaces.html?print`);
    const visible = await page.locator('.slide').evaluateAll((all) => all.filter((s) => (s as HTMLElement).offsetHeight > 0).length);
    expect(visible).toBe(total);
    await page.close();
  });

  test('every slide of every deck fits its 1280×720 canvas', async () => {
    const page = await browser.context.newPage();
    const overflowing: string[] = [];
    for (const deck of site.decks) {
      await page.goto(`${base}/${deck}`);
      const bad = await page.evaluate(() => {
        const found: number[] = [];
        document.querySelectorAll<HTMLElement>('.slide').forEach((slide, i) => {
          slide.classList.add('current');
          const body = slide.querySelector<HTMLElement>('.slide-body')!;
          const pres = [...body.querySelectorAll<HTMLElement>('pre:not(.demo-output)')];
          if (body.scrollHeight > body.clientHeight + 1 || pres.some((pre) => pre.scrollWidth > pre.clientWidth + 1)) found.push(i + 1);
          slide.classList.remove('current');
        });
        return found;
      });
      overflowing.push(...bad.map((n) => `${deck}#${n}`));
    }
    expect(overflowing, 'slides whose content is cut off').toEqual([]);
    await page.close();
  });
});

describe('live demos', () => {
  test("chapter 2's demo streams the real container output: PID 1 and the container's hostname", async () => {
    const page = await browser.context.newPage();
    await openDemoSlide(page, 'decks/02-namespaces.html');
    const demo = page.locator('.slide.current .demo');
    await expect.poll(() => demo.getAttribute('data-state')).toBe('ready');

    await demo.getByRole('button', { name: 'Run live demo' }).click();
    await expect.poll(() => demo.getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    const output = await demo.locator('.demo-output').textContent();
    expect(output).toMatch(/^PID 1$/m);
    expect(output).toMatch(/^demo-box$/m);
    expect(await demo.locator('.demo-state').textContent()).toMatch(/^exit 0 · /);

    // The controls fade 2.5 s after the mouse last moved; the screenshot need not wait that long.
    await page.evaluate(() => document.body.classList.remove('pointer'));
    await expect.poll(() => page.locator('.deck-nav').evaluate((nav) => getComputedStyle(nav).opacity)).toBe('0');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'chapter-2.png') });
    await page.close();
  });

  test('a second demo is refused while one runs; closing the page stops it and cleans up its container', async () => {
    const holder = await browser.context.newPage();
    await holder.goto(`${base}/index.html`);
    await startHolding(holder, HOLD.id);
    const runner = slides.current()!.runner.pid!;
    const container = await waitForContainer(runner);

    const page = await browser.context.newPage();
    await openDemoSlide(page, 'decks/02-namespaces.html');
    const demo = page.locator('.slide.current .demo');
    await demo.getByRole('button', { name: 'Run live demo' }).click();
    await expect.poll(() => demo.getAttribute('data-state')).toBe('refused');
    expect(await demo.locator('.demo-state').textContent()).toContain(`another demo is running (${HOLD.id})`);

    await holder.close();
    await expect.poll(() => slides.current(), { timeout: 15_000 }).toBeUndefined();
    expect(log.some((line) => line.startsWith(`demo ${HOLD.id}: stopped: the page was closed, status 143`))).toBe(true);
    expect(isAlive(runner), 'the runner').toBe(false);
    expect(isAlive(container.pid), "the container's PID 1").toBe(false);
    expect(listStates().map((s) => s.container.id)).not.toContain(container.id);
    await page.close();
  });

  test('a demo that outlives its time limit is stopped', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/index.html`);
    const events = await page.evaluate(async (id) => {
      const res = await fetch(`/api/demos/${id}`, { method: 'POST' });
      return (await res.text()).trim().split('\n').map((line) => JSON.parse(line) as { type: string; why?: string; status?: number });
    }, BRIEF.id);
    expect(events.at(-1)).toMatchObject({ type: 'end', why: 'stopped: time limit (3 s) reached', status: 143 });
    await page.close();
  });

  test('a request from another site is refused, also when a real page sends it', async () => {
    // Another site: any page the presenter has open, here served from another port of this machine.
    const elsewhere = http.createServer((_req, res) => res.end('<!doctype html><p>another site</p>'));
    const elsewherePort = await listen(elsewhere);
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${elsewherePort}/`);
    const started = log.filter((line) => line.includes(': started')).length;
    // no-cors: the browser sends it without asking, though the page may not read the answer.
    await page.evaluate((url) => fetch(url, { method: 'POST', mode: 'no-cors' }).catch(() => undefined), `${base}/api/demos/chapter-2`);
    await expect.poll(() => log).toContain(`refused POST /api/demos/chapter-2: Origin http://127.0.0.1:${elsewherePort} is not this site (${base})`);
    expect(log.filter((line) => line.includes(': started')).length).toBe(started);
    await page.close();
    elsewhere.close();

    expect((await request('POST', '/api/demos/chapter-2', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await request('POST', '/api/demos/chapter-2', { host: `evil.example:${port}`, origin: `http://evil.example:${port}` })).status).toBe(403);
    expect((await request('GET', '/decks/02-namespaces.html', { host: `rebound.example:${port}` })).status).toBe(403);
    expect((await request('POST', '/api/demos/chapter-2', {})).status).toBe(403); // no Origin at all
    expect((await request('POST', '/api/demos/no-such-demo', { origin: base })).status).toBe(404);
    const deck = await request('GET', '/decks/02-namespaces.html', {});
    expect(deck.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  test('every demo that ran has ended: no runner, container or container state is left', () => {
    const runners = log.flatMap((line) => /: started \(runner (\d+)\)$/.exec(line)?.[1] ?? []).map(Number);
    expect(runners.length).toBeGreaterThanOrEqual(3);
    expect(runners.filter(isAlive), 'runners still alive').toEqual([]);
    expect(listStates().filter((s) => runners.includes(s.runner)), 'containers still recorded').toEqual([]);
  });

  test('without root, the demo slide says why it cannot run', async () => {
    const plain = createSlidesServer({ siteDir: site.dir, demos: availableDemos(), isRoot: false });
    const plainPort = await listen(plain.http);
    const page = await browser.context.newPage();
    await openDemoSlide(page, 'decks/02-namespaces.html', `http://127.0.0.1:${plainPort}`);
    const demo = page.locator('.slide.current .demo');
    await expect.poll(() => demo.locator('.demo-state').textContent()).toContain('Live demos need root');
    expect(await demo.getByRole('button', { name: 'Run live demo' }).isDisabled()).toBe(true);
    await page.close();
    plain.http.closeAllConnections();
    plain.http.close();
  });
});

/** Opens a deck and presses → until the slide with the demo control is shown. */
async function openDemoSlide(page: Page, deck: string, from = base): Promise<void> {
  await page.goto(`${from}/${deck}`);
  const total = await page.locator('.slide').count();
  for (let i = 0; i < total && !(await page.locator('.slide.current .demo').isVisible()); i++) await page.keyboard.press('ArrowRight');
  await expect.poll(() => page.locator('.slide.current .demo').isVisible()).toBe(true);
}

/** Starts a demo from the page and returns once its first output arrived, leaving the stream open. */
async function startHolding(page: Page, id: string): Promise<void> {
  await page.evaluate(async (demo) => {
    const res = await fetch(`/api/demos/${demo}`, { method: 'POST' });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    while (!seen.includes('holding')) seen += decoder.decode((await reader.read()).value, { stream: true });
    (window as unknown as { holding: unknown }).holding = reader; // keep the stream, and the demo, alive
  }, id);
}

/** The container of a runner, once the runner has recorded it. */
async function waitForContainer(runner: number): Promise<{ id: string; pid: number }> {
  let found: { id: string; pid: number } | undefined;
  await expect.poll(() => {
    const state = listStates().find((s) => s.runner === runner && s.pid !== undefined);
    found = state ? { id: state.container.id, pid: state.pid! } : undefined;
    return found;
  }).toBeDefined();
  return found!;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** A request with headers a browser would not let a page set (Host), from Node. */
function request(method: string, urlPath: string, headers: http.OutgoingHttpHeaders): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}
