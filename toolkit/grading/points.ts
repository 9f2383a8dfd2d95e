/**
 * Points, for instructors: each chapter is worth its manifest's `points`
 * (10 unless it says otherwise), shared equally by its graded checks.
 */
import { CHAPTERS } from '../chapters.ts';
import { gradedScore, type ChapterResult } from './results.ts';

export const DEFAULT_POINTS = 10;

export function chapterPoints(slug: string): number {
  const chapter = CHAPTERS.find((c) => c.slug === slug) as { points?: number } | undefined;
  return chapter?.points ?? DEFAULT_POINTS;
}

/** Points earned, to one decimal, and the most there are. */
export function pointsOf(chapter: ChapterResult): { earned: number; max: number } {
  const max = chapterPoints(chapter.slug);
  const { passed, total } = gradedScore(chapter);
  return { earned: total === 0 ? 0 : Math.round((max * passed * 10) / total) / 10, max };
}
