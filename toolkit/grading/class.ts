/**
 * Grading a class: each learner's checkout is graded in a fresh copy of the
 * instructor's project that takes **only** the learner's chapters/ files —
 * so an edited test, toolkit or solution file in a learner's checkout cannot
 * change their grade — one learner after another (their containers are real:
 * two at once would compete for the machine and see each other), each within
 * a time limit.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT } from '../paths.ts';
import type { JsonReport } from './json-report.ts';

export interface LearnerGrade {
  learner: string;
  checkout: string;
  /** null: the grading did not finish (time limit, no chapters/ folder, the grader failed). */
  report: JsonReport | null;
  problem?: string;
  seconds: number;
}

/** What is copied from the instructor's project: everything the grader needs except node_modules (linked) and chapters/ (the learner's). */
const INSTRUCTOR_PARTS = ['toolkit', 'tests', 'solutions', 'docs', 'vagrant', 'package.json', 'package-lock.json', 'tsconfig.json'];

export async function gradeLearner(checkout: string, chapters: readonly number[], timeoutMs: number, log: (line: string) => void): Promise<LearnerGrade> {
  const learner = path.basename(path.resolve(checkout));
  const started = Date.now();
  const done = (report: JsonReport | null, problem?: string): LearnerGrade => ({ learner, checkout, report, ...(problem ? { problem } : {}), seconds: Math.round((Date.now() - started) / 100) / 10 });
  const learnerChapters = path.join(checkout, 'chapters');
  if (!fs.existsSync(learnerChapters) || !fs.statSync(learnerChapters).isDirectory()) return done(null, `no chapters/ folder in ${checkout}`);

  const copy = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-class-${process.pid}-`));
  try {
    for (const part of INSTRUCTOR_PARTS) {
      if (fs.existsSync(path.join(PROJECT, part))) fs.cpSync(path.join(PROJECT, part), path.join(copy, part), { recursive: true, verbatimSymlinks: true });
    }
    copyRegularFiles(learnerChapters, path.join(copy, 'chapters'));
    linkNodeModules(path.join(PROJECT, 'node_modules'), path.join(copy, 'node_modules'));
    const reportFile = path.join(copy, 'report.json');
    const problem = await runGrader(copy, [...chapters.map(String), '--json', reportFile], timeoutMs, log);
    if (!fs.existsSync(reportFile)) return done(null, problem ?? 'the grader wrote no report');
    return done(JSON.parse(fs.readFileSync(reportFile, 'utf8')) as JsonReport, problem);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

/** Regular files and folders only: a learner's symlink could point into the instructor's files. */
function copyRegularFiles(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) copyRegularFiles(source, path.join(to, entry.name));
    else if (entry.isFile()) fs.copyFileSync(source, path.join(to, entry.name));
  }
}

/**
 * The instructor's packages, linked one by one into a real node_modules folder:
 * nothing is installed per learner, and the copy's build cache
 * (node_modules/.cache) and grades are its own.
 */
function linkNodeModules(from: string, to: string): void {
  fs.mkdirSync(to);
  for (const name of fs.readdirSync(from)) {
    if (name === '.cache') continue;
    fs.symlinkSync(path.join(from, name), path.join(to, name));
  }
}

/**
 * `npm test -- …` in the copy, as its npm script runs it (toolkit/run.mjs: the copy's own cached
 * build, no tsx), in a process group of its own so the time limit ends all of it.
 */
function runGrader(cwd: string, args: readonly string[], timeoutMs: number, log: (line: string) => void): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(cwd, 'toolkit/run.mjs'), path.join(cwd, 'toolkit/cli/grade.ts'), ...args], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0', INIT_CWD: cwd, NODE_EXTRA_CA_CERTS: '' },
    });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      log(`time limit of ${timeoutMs / 1000} s reached: stopping the grader`);
      killGroup(child.pid!, 'SIGTERM');
      setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 10_000).unref();
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (timedOut) return resolve(`stopped after the time limit of ${timeoutMs / 1000} s`);
      // 0: all passed; 1: some checks failed — both are grades. Anything else: the grader could not grade.
      if (code === 0 || code === 1) return resolve(undefined);
      resolve(`the grader exited ${code}: ${tail.trim().split('\n').slice(-3).join(' | ')}`);
    });
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
