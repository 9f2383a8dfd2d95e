/** `npm test -- --json FILE`: per chapter and check, status, points and messages — for scripts and spreadsheets. */
import { pointsOf } from './points.ts';
import { gradedScore, type RunResults } from './results.ts';

export interface JsonReport {
  at: string;
  target: string;
  points: { earned: number; max: number };
  chapters: {
    chapter: string;
    passed: number;
    total: number;
    points: { earned: number; max: number };
    checks: { name: string; given: boolean; status: string; message?: string; durationMs: number }[];
    suiteErrors: string[];
  }[];
}

export function toJsonReport(results: RunResults): JsonReport {
  const chapters = results.chapters.map((ch) => ({
    chapter: ch.slug,
    ...gradedScore(ch),
    points: pointsOf(ch),
    checks: ch.checks.map((c) => ({ name: c.name, given: c.given, status: c.state, ...(c.message ? { message: c.message } : {}), durationMs: c.durationMs })),
    suiteErrors: ch.suiteErrors,
  }));
  const sum = (key: 'earned' | 'max') => Math.round(chapters.reduce((s, c) => s + c.points[key], 0) * 10) / 10;
  return { at: results.at, target: results.target, points: { earned: sum('earned'), max: sum('max') }, chapters };
}
