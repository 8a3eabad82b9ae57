// The npm package as a user gets it: `npm pack`, installed into an empty prefix without install scripts
// (the built dist/ ships in the tarball), then `warren server` from that prefix starts and serves the web
// console and the HTTP API.
import assert from 'node:assert/strict'
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, test } from 'node:test'

let dir = ''
let tarball = ''
let server: ChildProcess | undefined

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warren-pack-'))
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { stdio: 'pipe' })
  const name = (await readdir(dir)).find((f) => f.endsWith('.tgz'))
  assert.ok(name, 'npm pack wrote a tarball')
  tarball = join(dir, name)
})

after(async () => {
  server?.kill('SIGTERM')
  await rm(dir, { recursive: true, force: true })
})

test('the tarball ships the built code, the console, README and LICENSE, and no tests', () => {
  const files = execFileSync('tar', ['-tzf', tarball]).toString().split('\n')
  for (const f of [
    'package/LICENSE',
    'package/README.md',
    'package/dist/src/bin/warren.js',
    'package/dist/src/index.d.ts',
    'package/ui/index.html',
  ])
    assert.ok(files.includes(f), f)
  assert.ok(!files.some((f) => f.startsWith('package/dist/test/') || f.startsWith('package/test/')))
})

/** The project's root (this file runs as dist/test/deploy/package.test.js). */
const root = new URL('../../../', import.meta.url)

/** Node's flags on the shebang line of the built launcher (src/bin/warren.ts). */
function launcherFlags(): string[] {
  const first = readFileSync(new URL('dist/src/bin/warren.js', root), 'utf8').split('\n')[0] ?? ''
  const m = /^#!\/usr\/bin\/env -S node (.+)$/.exec(first)
  assert.ok(m, `the launcher's shebang passes Node flags: ${first}`)
  return (m[1] as string).split(' ')
}

test('`npm start` runs Node with the same flags as the installed `warren` launcher', () => {
  const flags = launcherFlags()
  assert.ok(
    flags.some((f) => /^--initial-old-space-size=\d+$/.test(f)),
    flags.join(' '),
  )
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
    scripts: { start: string }
  }
  assert.equal(pkg.scripts.start, `node ${flags.join(' ')} dist/src/bin/warren.js server`)
})

/** Waits for the log line that names the HTTP API's port. */
async function httpPortOf(child: ChildProcess): Promise<number> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  for await (const line of lines) {
    const m = /HTTP API[^"]*? on [^"]*?:(\d+)/.exec(line)
    if (m) return Number(m[1])
  }
  throw new Error('the broker exited before its HTTP API listened')
}

test('installed from the tarball with --ignore-scripts, `warren server` starts and serves the console', async () => {
  const prefix = join(dir, 'prefix')
  const install = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--ignore-scripts',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
    ],
    { encoding: 'utf8' },
  )
  assert.equal(install.status, 0, install.stderr)
  // Node 20 is supported: no dependency may ask for a newer engine (fastify's light-my-request pulled in
  // cookie@2, which asks for Node 22, until package.json pinned light-my-request 6.6.0).
  assert.doesNotMatch(install.stderr, /EBADENGINE/)
  const bin = join(prefix, 'node_modules', '.bin', 'warren')
  const args = ['server', '--amqp-port', '0', '--http-port', '0', '--bind', '127.0.0.1']
  server = spawn(bin, [...args, '--data-dir', join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] })
  const port = await httpPortOf(server)
  // The npm shim runs the launcher through its shebang: the broker is a node process with its flags.
  const argv = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0')
  for (const flag of launcherFlags()) assert.ok(argv.includes(flag), `${flag} in ${argv.join(' ')}`)
  const page = await fetch(`http://127.0.0.1:${port}/`)
  assert.equal(page.status, 200)
  assert.match(await page.text(), /<html/i)
  const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`
  const overview = await fetch(`http://127.0.0.1:${port}/api/overview`, { headers: { authorization: auth } })
  assert.equal(overview.status, 200)
  assert.equal(((await overview.json()) as { product_name: string }).product_name, 'Warren')
})
