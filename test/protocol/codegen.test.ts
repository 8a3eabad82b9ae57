// The generated codec is what the generator makes of specs/ today: regenerating changes nothing.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { ROOT } from './helpers.js'

test('node scripts/codegen/generate.mjs --check finds the generated files up to date', () => {
  const r = spawnSync(process.execPath, ['scripts/codegen/generate.mjs', '--check'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  assert.equal(r.status, 0, `generate.mjs --check failed:\n${r.stderr}${r.stdout}`)
})
