// Small async helpers for the perf runs.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves (or rejects) like `p`, or rejects after `ms` with "<what> timed out". */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Runs `f` for 0..n-1 with at most `limit` calls in flight; results in index order. */
export async function mapLimit<T>(n: number, limit: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++
      out[i] = await f(i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker))
  return out
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits

/** Rates and percentages rounded for reports. */
export const r1 = (v: number): number => round(v, 1)
export const r3 = (v: number): number => round(v, 3)

/** CPU % of one core this process used since `since` (from process.cpuUsage()) over `ms`. */
export function clientCpuPct(since: NodeJS.CpuUsage, ms: number): number {
  const u = process.cpuUsage(since)
  return ms > 0 ? r1(((u.user + u.system) / 1000 / ms) * 100) : 0
}
