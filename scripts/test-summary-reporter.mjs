// A node:test reporter for `npm test`: one line per test file as it finishes, every failure in full
// (its path of suite and test names, location and error), and the runner's closing counts. The full TAP
// goes to test-results.tap beside it (see run-tests.mjs) for whoever needs every line.
import { relative } from 'node:path'

const tty = process.stdout.isTTY
const paint = (code, s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s)
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`

/** A failed test named by the suites and tests it sits in (names[n]: the test last started at nesting n). */
function failureTitle(names, data) {
  return [...names.slice(0, data.nesting), data.name].join(' › ')
}

function formatError(err) {
  const cause = err?.cause ?? err
  const text = cause?.stack ?? cause?.message ?? String(cause)
  return String(text)
    .split('\n')
    .filter((l) => !/\(node:|at node:|\[as .*\] \(node:/.test(l))
    .slice(0, 16)
    .map((l) => `      ${l}`)
    .join('\n')
}

/** One file's tally; node reports a file's events together, in order, once the file has run. */
function newFile(file) {
  return { file, tests: 0, failed: 0, ms: 0 }
}

function fileLine(f) {
  const mark = f.failed === 0 ? paint(32, '✔') : paint(31, '✖')
  const failed = f.failed === 0 ? '' : paint(31, `, ${f.failed} failed`)
  return `${mark} ${f.file}  ${paint(2, `${f.tests} tests${failed}, ${seconds(f.ms)}`)}\n`
}

export default async function* summaryReporter(source) {
  const names = []
  const failures = []
  const counts = {}
  let current
  for await (const { type, data } of source) {
    if (type === 'test:start') names[data.nesting] = data.name
    if (type === 'test:pass' || type === 'test:fail') {
      const file = data.file ? relative(process.cwd(), data.file) : '(no file)'
      if (current?.file !== file) {
        if (current) yield fileLine(current)
        current = newFile(file)
      }
      const leaf = data.details?.type !== 'suite'
      if (leaf) current.tests++
      if (data.nesting === 0) current.ms += data.details?.duration_ms ?? 0
      const failure = data.details?.error
      if (type === 'test:fail' && leaf && !data.todo && failure?.failureType !== 'subtestsFailed') {
        current.failed++
        const where = data.line ? `${file}:${data.line}` : file
        failures.push({ title: failureTitle(names, data), where, error: failure })
      }
    }
    if (type === 'test:diagnostic' && data.nesting === 0) {
      const m = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/.exec(data.message)
      if (m) counts[m[1]] = Number(m[2])
    }
  }
  if (current) yield fileLine(current)
  for (const f of failures) {
    yield `\n${paint(31, '✖ FAIL')} ${f.title}\n    ${f.where}\n${formatError(f.error)}\n`
  }
  yield '\n'
  for (const k of ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms'])
    yield `# ${k} ${counts[k] ?? 0}\n`
  const ok = (counts.fail ?? 0) === 0 && (counts.cancelled ?? 0) === 0
  const line =
    `warren tests: ${counts.pass ?? 0} passed, ${counts.fail ?? 0} failed, ${counts.cancelled ?? 0} cancelled, ` +
    `${counts.skipped ?? 0} skipped, ${counts.todo ?? 0} todo, of ${counts.tests ?? 0} ` +
    `in ${seconds(counts.duration_ms ?? 0)} (every line: test-results.tap)`
  yield `${ok ? paint(32, line) : paint(31, line)}\n`
}
