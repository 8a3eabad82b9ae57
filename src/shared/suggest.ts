// "Did you mean ...?" for a mistyped command or setting, ranked by Jaro similarity as rabbitmqctl ranks them (it
// suggests the most similar command when the similarity reaches its threshold, and nothing otherwise).

const THRESHOLD = 0.77

/** Jaro similarity of two strings, 0 (nothing in common) to 1 (equal). */
export function jaro(a: string, b: string): number {
  if (a === b) return 1
  if (a.length === 0 || b.length === 0) return 0
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1)
  const aHit = new Array<boolean>(a.length).fill(false)
  const bHit = new Array<boolean>(b.length).fill(false)
  let matches = 0
  for (let i = 0; i < a.length; i++) {
    for (let j = Math.max(0, i - window); j <= Math.min(b.length - 1, i + window); j++) {
      if (bHit[j] || a[i] !== b[j]) continue
      aHit[i] = bHit[j] = true
      matches++
      break
    }
  }
  if (matches === 0) return 0
  let transpositions = 0
  for (let i = 0, j = 0; i < a.length; i++) {
    if (!aHit[i]) continue
    while (!bHit[j]) j++
    if (a[i] !== b[j++]) transpositions++
  }
  return (matches / a.length + matches / b.length + (matches - transpositions / 2) / matches) / 3
}

/** The most similar of `names` to `typed`, when similar enough. */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  let best: string | undefined
  let bestScore = THRESHOLD
  for (const name of names) {
    const score = jaro(typed, name)
    if (score >= bestScore && (best === undefined || score > bestScore)) [best, bestScore] = [name, score]
  }
  return best
}
