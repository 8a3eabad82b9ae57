// Runs every micro-benchmark (or those named: node micro/run.mjs codec topic store), one process each so
// that one benchmark's heap and JIT state do not colour the next.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const all = ['codec', 'topic', 'store']
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'))
const names = process.argv.slice(2).filter((a) => !a.startsWith('--'))
let failed = false
for (const name of names.length ? names : all) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark ${name} (${all.join(', ')})`)
    process.exit(2)
  }
  if (!flags.includes('--json')) console.log(`\n# ${name}`)
  const r = spawnSync(process.execPath, [join(here, `${name}.mjs`), ...flags], { stdio: 'inherit' })
  failed ||= r.status !== 0
}
process.exit(failed ? 1 : 0)
