#!/usr/bin/env node
// Runs the whole suite: the codegen freshness check and the layer rules, then every compiled *.test.js
// under dist/test with node's test runner, reported briefly (scripts/test-summary-reporter.mjs) with the
// runner's closing counts last. Extra arguments filter test files by substring.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const check = spawnSync(process.execPath, ['scripts/codegen/generate.mjs', '--check'], { stdio: 'inherit' })
if (check.status !== 0) process.exit(check.status ?? 1)
// The layer rules of docs/architecture.md (.dependency-cruiser.cjs): a broken rule fails the run.
const layers = spawnSync('npm', ['run', '--silent', 'layers'], { stdio: 'inherit' })
if (layers.status !== 0) {
  console.error('layer rules broken (see above and .dependency-cruiser.cjs)')
  process.exit(layers.status ?? 1)
}

const filters = process.argv.slice(2)
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else if (name.endsWith('.test.js') && (filters.length === 0 || filters.some((f) => p.includes(f))))
      files.push(p)
  }
}
walk(join('dist', 'test'))
if (files.length === 0) {
  console.error('no test files found under dist/test')
  process.exit(1)
}
// A short report on stdout (one line per file, failures in full, the closing counts); every TAP line in
// test-results.tap.
const reporters = [
  '--test-reporter=./scripts/test-summary-reporter.mjs',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  '--test-reporter-destination=test-results.tap',
]
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...reporters, ...files], {
  stdio: 'inherit',
})
process.exit(run.status ?? 1)
