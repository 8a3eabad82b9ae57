// `warren server` as a user runs it: listener log lines, clean shutdown on SIGTERM (clients closed with
// 320 CONNECTION_FORCED, exit 0), and one-line reasons with a non-zero exit for bad flags and busy ports.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, test } from 'node:test'
import amqp from 'amqplib'

const BIN = fileURLToPath(new URL('../../src/bin/warren.js', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'warren-cli-'))
after(() => rmSync(dataDir, { recursive: true, force: true }))

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

async function startServer(): Promise<{ child: ChildProcess; port: number; log: () => string }> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'server',
      '--amqp-port',
      '0',
      '--http-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--data-dir',
      join(dataDir, 'sigterm'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listener line in: ${out}`)), 20_000)
    child.stdout?.on('data', () => {
      const m = /AMQP 0-9-1 listener started on [^:]+:(\d+)/.exec(out)
      if (m && /HTTP API listener started/.test(out)) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
  })
  return { child, port, log: () => out }
}

test('--version and --help', () => {
  assert.match(run(['--version']).stdout, /^\d+\.\d+\.\d+/)
  const help = run(['server', '--help']).stdout
  for (const flag of ['--amqp-port', '--http-port', '--data-dir', '--bind', '--log-level'])
    assert.ok(help.includes(flag), flag)
})

test('a bad flag exits non-zero with a one-line reason', () => {
  const r = run(['server', '--amqp-port', 'nope'])
  assert.equal(r.status, 1)
  assert.match(r.stderr, /invalid --amqp-port 'nope'/)
  assert.equal(run(['server', '--log-level', 'loud']).status, 1)
})

test('a port in use exits non-zero and says which', async () => {
  const blocker = createServer()
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
  const port = (blocker.address() as { port: number }).port
  try {
    const r = run([
      'server',
      '--amqp-port',
      String(port),
      '--http-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--data-dir',
      join(dataDir, 'busy'),
    ])
    assert.equal(r.status, 1)
    assert.match(r.stderr, new RegExp(`warren: AMQP port 127\\.0\\.0\\.1:${port} is already in use`))
  } finally {
    blocker.close()
  }
})

test('SIGTERM closes clients with 320 CONNECTION_FORCED and exits 0', async () => {
  const { child, port, log } = await startServer()
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}/`)
  const closed = new Promise<string>((resolve) =>
    conn.on('close', (err?: Error) => resolve(String(err?.message))),
  )
  conn.on('error', () => {})
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  assert.match(await closed, /320 \(CONNECTION-FORCED\)/)
  assert.equal(await exited, 0)
  assert.match(log(), /received SIGTERM, shutting down/)
})
