#!/usr/bin/env node
// Summarizes a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, their inclusive
// time, and self time by file and by category (Warren's code, node internals, dependencies, GC, idle).
//
//   node bench/cpuprofile-top.mjs PROFILE.cpuprofile [--top 30] [--markdown] [--callers NAME ...]
//
// --callers NAME: where the self time of functions called NAME comes from (their callers, two levels up),
// for a hot node builtin such as `subarray` or `write`.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const argv = process.argv.slice(2)
const file = argv.find((a) => !a.startsWith('--'))
if (!file) {
  console.error('usage: cpuprofile-top.mjs PROFILE.cpuprofile [--top N] [--markdown]')
  process.exit(2)
}
const topN = Number(argv[argv.indexOf('--top') + 1]) || 30
const markdown = argv.includes('--markdown')
const callersOf = argv.flatMap((a, i) => (argv[i - 1] === '--callers' ? [a] : []))
const prof = JSON.parse(readFileSync(file, 'utf8'))
/** Decoded source maps by script URL. */
const maps = new Map()

const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const parent = new Map()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

// Self time per node from the sample timeline (timeDeltas[i] is the time before sample i).
const selfUs = new Map()
const inclUs = new Map()
let totalUs = 0
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i + 1] ?? 0 // the time until the next sample belongs to this one
  const id = prof.samples[i]
  totalUs += dt
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt)
  // Inclusive: every distinct function on the stack, once.
  const seen = new Set()
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const k = key(byId.get(n))
    if (seen.has(k)) continue
    seen.add(k)
    inclUs.set(k, (inclUs.get(k) ?? 0) + dt)
  }
}

const funcs = new Map()
const files = new Map()
const cats = new Map()
for (const [id, us] of selfUs) {
  const n = byId.get(id)
  const k = key(n)
  const f = funcs.get(k) ?? { name: label(n), us: 0 }
  f.us += us
  funcs.set(k, f)
  const p = shortPath(n.callFrame.url) || n.callFrame.functionName
  files.set(p, (files.get(p) ?? 0) + us)
  const c = category(n)
  cats.set(c, (cats.get(c) ?? 0) + us)
}

const pct = (us) => ((us / totalUs) * 100).toFixed(1)
const ms = (us) => (us / 1000).toFixed(0)
const busyUs = totalUs - (cats.get('idle') ?? 0)
console.log(`${file}: ${ms(totalUs)} ms sampled, ${ms(busyUs)} ms busy (${pct(busyUs)} %)`)

const top = [...funcs.entries()].sort((a, b) => b[1].us - a[1].us).slice(0, topN)
table(
  ['self ms', 'self %', 'incl %', 'function (file:line)'],
  top.map(([k, f]) => [ms(f.us), pct(f.us), pct(inclUs.get(k) ?? 0), f.name]),
)
console.log()
table(
  ['self ms', 'self %', 'category'],
  [...cats.entries()].sort((a, b) => b[1] - a[1]).map(([c, us]) => [ms(us), pct(us), c]),
)
console.log()
table(
  ['self ms', 'self %', 'file'],
  [...files.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20)
    .map(([p, us]) => [ms(us), pct(us), p]),
)

for (const name of callersOf) {
  const by = new Map()
  let all = 0
  for (const [id, us] of selfUs) {
    const n = byId.get(id)
    if (n.callFrame.functionName !== name) continue
    all += us
    const p1 = byId.get(parent.get(id))
    const p2 = p1 && byId.get(parent.get(p1.id))
    const k = [p1, p2].filter(Boolean).map(label).join(' <- ')
    by.set(k, (by.get(k) ?? 0) + us)
  }
  console.log(`\ncallers of ${name} (${ms(all)} ms self):`)
  table(
    ['self ms', 'self %', 'called from <- its caller'],
    [...by.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, us]) => [ms(us), pct(us), k]),
  )
}

function key(n) {
  const cf = n.callFrame
  return `${cf.functionName}|${cf.url}|${cf.lineNumber}|${cf.columnNumber}`
}

function label(n) {
  const cf = n.callFrame
  const name = cf.functionName || '(anonymous)'
  const p = shortPath(cf.url)
  if (!p) return name
  const line = /\/dist\/src\//.test(cf.url) ? sourceLine(cf.url, cf.lineNumber, cf.columnNumber) : undefined
  return line === undefined ? `${name} (${p}:${cf.lineNumber + 1})` : `${name} (${p}:${line})`
}

/**
 * The TypeScript line (1-based) of a position in compiled JavaScript, from the .js.map tsc writes next to
 * it; undefined when there is no map.
 */
function sourceLine(url, line, column) {
  const segs = mappings(url)?.[line]
  if (!segs?.length) return undefined
  let best = segs[0]
  for (const s of segs) if (s[0] <= column) best = s
  return best[1] + 1
}

/** Per generated line: [generated column, original line] pairs, decoded from the map's VLQ mappings. */
function mappings(url) {
  if (maps.has(url)) return maps.get(url)
  let out
  try {
    const file = `${fileURLToPath(url)}.map`
    if (existsSync(file)) out = decodeMappings(JSON.parse(readFileSync(file, 'utf8')).mappings)
  } catch {
    out = undefined
  }
  maps.set(url, out)
  return out
}

function decodeMappings(str) {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const lines = []
  let srcLine = 0
  for (const lineStr of str.split(';')) {
    const segs = []
    let col = 0
    for (const seg of lineStr.split(',')) {
      if (!seg) continue
      const vals = []
      let shift = 0
      let value = 0
      for (const ch of seg) {
        const d = B64.indexOf(ch)
        value += (d & 31) << shift
        if (d & 32) shift += 5
        else {
          vals.push(value & 1 ? -(value >>> 1) : value >>> 1)
          value = 0
          shift = 0
        }
      }
      col += vals[0]
      if (vals.length >= 4) {
        srcLine += vals[2]
        segs.push([col, srcLine])
      }
    }
    lines.push(segs)
  }
  return lines
}

/** Paths relative to the project (dist/src/... -> src/...), node internals as node:..., deps by package. */
function shortPath(url) {
  if (!url) return ''
  const m = /\/dist\/(src\/.*)\.js$/.exec(url)
  if (m) return `${m[1]}.ts`
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url)
  if (dep) return `${dep[1]}:${dep[2]}`
  return url.replace(/^file:\/\//, '')
}

function category(n) {
  const { functionName: f, url } = n.callFrame
  if (f === '(idle)') return 'idle'
  if (f === '(garbage collector)') return 'GC'
  if (f === '(program)') return 'V8/native (program)'
  if (!url) return f.startsWith('(') ? f : 'native builtins'
  if (url.startsWith('node:')) return 'node internals (node:*)'
  if (url.includes('node_modules')) return 'dependencies (node_modules)'
  const m = /\/dist\/src\/([^/]+)\//.exec(url)
  if (m) return `warren src/${m[1]}/`
  return 'other'
}

function table(head, rows) {
  if (markdown) {
    console.log(`| ${head.join(' | ')} |`)
    console.log(`|${head.map((_, i) => (i < head.length - 1 ? '---:' : '---')).join('|')}|`)
    for (const r of rows) console.log(`| ${r.join(' | ')} |`)
    return
  }
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (r) => r.map((c, i) => (i < r.length - 1 ? String(c).padStart(w[i]) : c)).join('  ')
  console.log(line(head))
  for (const r of rows) console.log(line(r))
}
