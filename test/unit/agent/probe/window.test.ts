// The window and the run-wide rate (window.ts), with time given by hand.
import { describe, expect, it } from 'vitest';
import { BASE_WINDOW, LOCAL_STALL_LIMIT, Window } from '../../../../agent/probe/window.js';

describe('Window', () => {
  it('holds BASE_WINDOW in flight, plus a slot per probe older than OLD_MS, up to the budget', () => {
    const w = new Window(4096, undefined, 0);
    expect(w.hasRoom(BASE_WINDOW - 1)).toBe(true);
    expect(w.hasRoom(BASE_WINDOW)).toBe(false);
    w.old = 1000;
    expect(w.hasRoom(BASE_WINDOW + 999)).toBe(true);
    expect(w.hasRoom(BASE_WINDOW + 1000)).toBe(false);
    w.old = 10_000;
    expect(w.hasRoom(4095)).toBe(true);
    expect(w.hasRoom(4096)).toBe(false);
    // A budget below the base is the budget.
    expect(new Window(16, undefined, 0).hasRoom(16)).toBe(false);
  });

  it('a local error shrinks the window to 3/4 of what was in flight and pauses starts for one tick', () => {
    const w = new Window(1000, undefined, 0);
    w.old = 1000;
    expect(w.localError(400, 50)).toBe(false);
    expect(w.size).toBe(300);
    expect(w.stalled(59.9)).toBe(true);
    expect(w.stalled(60)).toBe(false);
    expect(w.hasRoom(299)).toBe(true);
    expect(w.hasRoom(300)).toBe(false);
    // Never below one.
    w.localError(0, 60);
    expect(w.size).toBe(1);
  });

  it('grows back by one slot per 8 answers, never past the budget', () => {
    const w = new Window(10, undefined, 0);
    w.localError(4, 0); // 3
    for (let i = 0; i < 7; i++) w.answered();
    expect(w.size).toBe(3);
    w.answered();
    expect(w.size).toBe(4);
    for (let i = 0; i < 1000; i++) w.answered();
    expect(w.size).toBe(10);
  });

  it('local errors with nothing in flight are hopeless after LOCAL_STALL_LIMIT in a row; a verdict resets that', () => {
    const w = new Window(10, undefined, 0);
    for (let i = 0; i < LOCAL_STALL_LIMIT; i++) expect(w.localError(0, i)).toBe(false);
    w.progressed();
    for (let i = 0; i < LOCAL_STALL_LIMIT; i++) expect(w.localError(0, i)).toBe(false);
    expect(w.localError(5, 0)).toBe(false); // with probes in flight it does not count
    expect(w.localError(0, 0)).toBe(true);
  });

  it('--rate: one token to start with, then rate/1000 per ms up to a burst of rate/50', () => {
    const w = new Window(100, 1000, 0); // 1 per ms, burst 20
    expect(w.hasToken(0)).toBe(true);
    w.spend();
    expect(w.hasToken(0.5)).toBe(false);
    expect(w.hasToken(1)).toBe(true);
    w.spend();
    // A long pause refills only up to the burst.
    expect(w.hasToken(1000)).toBe(true);
    let n = 0;
    while (w.hasToken(1000) && n < 100) w.spend(), n++;
    expect(n).toBe(20);
  });

  it('without --rate there is always a token', () => {
    const w = new Window(100, undefined, 0);
    for (let i = 0; i < 1000; i++) w.spend();
    expect(w.hasToken(0)).toBe(true);
  });
});
