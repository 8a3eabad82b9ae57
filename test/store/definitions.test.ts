// The file definition store: atomic replacement and what a crash can leave behind.
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type { Definitions } from '../../src/core/ports.js'
import { createMemoryDefinitionStore, DEFINITIONS_FILE, openDefinitionStore } from '../../src/store/index.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-defs-'))
  dirs.push(dir)
  return dir
}

function defs(queues: string[]): Definitions {
  return {
    vhosts: [{ name: '/' }],
    queues: queues.map((name) => ({ name, vhost: '/', durable: true, auto_delete: false, arguments: {} })),
  }
}

test('file definition store: nothing saved loads as undefined', async () => {
  const store = await openDefinitionStore(join(await tempDir(), 'nested', 'data'))
  assert.equal(await store.load(), undefined)
})

test('file definition store: save replaces the whole file, leaving no temp file', async () => {
  const dir = await tempDir()
  const store = await openDefinitionStore(dir)
  await store.save(defs(['a', 'b']))
  await store.save(defs(['c']))
  assert.deepEqual(await store.load(), defs(['c']))
  assert.deepEqual(await (await openDefinitionStore(dir)).load(), defs(['c']))
  assert.deepEqual(await readdir(dir), [DEFINITIONS_FILE])
  // Plain RabbitMQ-shaped JSON, readable by other tools.
  assert.deepEqual(JSON.parse(await readFile(join(dir, DEFINITIONS_FILE), 'utf8')), defs(['c']))
})

test('file definition store: concurrent saves apply in call order', async () => {
  const store = await openDefinitionStore(await tempDir())
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(defs([`q${i}`]))))
  assert.deepEqual(await store.load(), defs(['q19']))
})

test('file definition store: a stale temp file from a crash is ignored, then overwritten', async () => {
  const dir = await tempDir()
  const store = await openDefinitionStore(dir)
  await store.save(defs(['kept']))
  await writeFile(join(dir, `${DEFINITIONS_FILE}.tmp`), '{"queues": [ {"name": "half-writ')
  assert.deepEqual(await (await openDefinitionStore(dir)).load(), defs(['kept']))
  await store.save(defs(['new']))
  assert.deepEqual(await store.load(), defs(['new']))
  assert.deepEqual(await readdir(dir), [DEFINITIONS_FILE])
})

test('file definition store: a stale temp file and no definitions file loads as undefined', async () => {
  const dir = await tempDir()
  await writeFile(join(dir, `${DEFINITIONS_FILE}.tmp`), '{')
  assert.equal(await (await openDefinitionStore(dir)).load(), undefined)
})

test('memory definition store: keeps a copy, not the caller objects', async () => {
  const store = createMemoryDefinitionStore()
  assert.equal(await store.load(), undefined)
  const d = defs(['a'])
  await store.save(d)
  d.queues?.push({ name: 'sneaky', vhost: '/', durable: true, auto_delete: false, arguments: {} })
  const loaded = await store.load()
  assert.deepEqual(loaded, defs(['a']))
  loaded?.queues?.pop()
  assert.deepEqual(await store.load(), defs(['a']))
})
