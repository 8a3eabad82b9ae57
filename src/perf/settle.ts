// The end of a run whose messages may still be on their way (perf mqtt, perf stomp): wait for them, but
// not for ever, and not long once nothing moves.
import { sleep } from './util.js'

export function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  let n = 0
  for (const x of xs) n += f(x)
  return n
}

/**
 * Waits until `done()`, `seconds` pass, `failed()`, or 2 s pass without `progress()` changing (a count
 * of what arrives).
 */
export async function drainUntil(
  done: () => boolean,
  progress: () => number,
  failed: () => boolean,
  seconds: number,
): Promise<void> {
  const deadline = performance.now() + seconds * 1000
  let last = -1
  let lastMoved = performance.now()
  while (!done() && performance.now() < deadline && !failed()) {
    const now = progress()
    if (now !== last) [last, lastMoved] = [now, performance.now()]
    else if (performance.now() - lastMoved > 2000) return
    await sleep(20)
  }
}

/** Waits for the end of a window of `seconds` from `t0`, or with `counted` until `done()` (else an error). */
export async function waitForWindow(
  t0: number,
  seconds: number,
  counted: boolean,
  done: () => boolean,
  errors: string[],
): Promise<void> {
  const deadline = t0 + seconds * 1000
  const over = (): boolean => performance.now() >= deadline || errors.length > 0
  if (!counted) {
    while (!over()) await sleep(Math.min(50, deadline - performance.now()))
    return
  }
  while (!done() && !over()) await sleep(5)
  if (!done()) errors.push(`count not reached within ${seconds} s`)
}
