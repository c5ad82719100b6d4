import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SceneEventsService, VISITORS_ANNOUNCE_MS } from './scene-events.service.js';

describe('SceneEventsService visitor counts', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('announces a burst of joins once at once and once with the final count, not once per join', () => {
    const events = new SceneEventsService();
    const counts: number[] = [];
    events.forScene('s').subscribe((e) => {
      if (e.name === 'scene:visitors') counts.push(e.payload.count);
    });
    for (let i = 0; i < 1_000; i++) events.changeVisitors('s', 1);
    expect(counts).toEqual([1]);
    expect(events.visitorCount('s')).toBe(1_000);
    vi.advanceTimersByTime(VISITORS_ANNOUNCE_MS);
    expect(counts).toEqual([1, 1_000]);
    // Quiet again: the next change is announced at once.
    vi.advanceTimersByTime(VISITORS_ANNOUNCE_MS);
    events.changeVisitors('s', -1);
    expect(counts).toEqual([1, 1_000, 999]);
  });

  it('says nothing more when the count is back where it was announced', () => {
    const events = new SceneEventsService();
    const counts: number[] = [];
    events.forScene('s').subscribe((e) => e.name === 'scene:visitors' && counts.push(e.payload.count));
    events.changeVisitors('s', 1);
    events.changeVisitors('s', 1);
    events.changeVisitors('s', -1);
    vi.advanceTimersByTime(VISITORS_ANNOUNCE_MS * 2);
    expect(counts).toEqual([1]);
  });

  it('keeps scenes apart', () => {
    const events = new SceneEventsService();
    events.changeVisitors('a', 1);
    events.changeVisitors('b', 1);
    events.changeVisitors('b', 1);
    expect([events.visitorCount('a'), events.visitorCount('b'), events.visitorCount('c')]).toEqual([1, 2, 0]);
  });
});
