/**
 * npm run slides — builds the site and serves it with live demos on
 * http://127.0.0.1:8000 (WORKBOOK_SLIDES_PORT to change the port).
 *
 * It listens on loopback only: the demos run containers as root, so nothing
 * but this machine's browser may reach it. The one exception is the VM:
 * Vagrant delivers the forwarded port to the guest's network interface, not
 * to its loopback, so there WORKBOOK_SLIDES_HOST=0.0.0.0 is needed. That is
 * safe in the VM because its only way in from outside is that forward, which
 * the Vagrantfile binds to the host's 127.0.0.1; and the server still refuses
 * any request whose Host is not a loopback name or whose Origin is another site.
 */
import chalk from 'chalk';
import { buildSite } from './build.ts';
import { availableDemos } from './demos.ts';
import { createSlidesServer } from './server.ts';

const HOSTS = ['127.0.0.1', '::1', '0.0.0.0'];

function settings(): { host: string; port: number } {
  const host = process.env.WORKBOOK_SLIDES_HOST || '127.0.0.1';
  const portText = process.env.WORKBOOK_SLIDES_PORT || '8000';
  const port = Number(portText);
  if (!HOSTS.includes(host)) throw new Error(`Expected WORKBOOK_SLIDES_HOST to be ${HOSTS.join(', ')}, got ${JSON.stringify(host)}`);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new Error(`Expected WORKBOOK_SLIDES_PORT to be a port number (1-65535), got ${JSON.stringify(portText)}`);
  return { host, port };
}

async function main(): Promise<void> {
  const { host, port } = settings();
  const site = await buildSite();
  const demos = availableDemos();
  const isRoot = process.getuid?.() === 0;
  const slides = createSlidesServer({ siteDir: site.dir, demos, isRoot, log: (line) => console.log(chalk.dim(line)) });

  slides.http.once('error', (error: NodeJS.ErrnoException) => {
    const why = error.code === 'EADDRINUSE' ? `port ${port} is in use (another npm run slides? WORKBOOK_SLIDES_PORT picks another)` : error.message;
    console.error(`${chalk.red('workbook:')} cannot serve the slides: ${why}`);
    process.exit(1);
  });
  slides.http.listen(port, host, () => {
    const shown = host === '::1' ? `[::1]` : '127.0.0.1';
    console.log(`slides: ${chalk.bold(`http://${shown}:${port}/`)}  (${site.decks.length} decks, ${site.lessons.length} lessons; live demos: ${demos.map((d) => d.chapter).join(', ') || 'none'})`);
    if (host === '0.0.0.0') console.log(chalk.yellow('slides: listening on every interface of this machine (WORKBOOK_SLIDES_HOST=0.0.0.0): meant for the VM only'));
    if (!isRoot) console.log(chalk.yellow('slides: not root, so the live demos are off (sudo npm run slides)'));
    console.log(chalk.dim('Ctrl-C stops the server (and a running demo).'));
  });

  // Stop a running demo the orderly way before leaving, so its container is cleaned up.
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    if (slides.current()) console.log(chalk.dim(`${signal}: stopping the running demo…`));
    await slides.stopDemo(`the server got ${signal}`);
    slides.http.close();
    slides.http.closeAllConnections();
    console.log('slides: stopped');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
}

main().catch((error: unknown) => {
  console.error(`${chalk.red('workbook:')} ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
