// `warren server` with a configuration file, as an operator runs it: settings from the file and from
// RabbitMQ's environment variables, definitions loaded at boot, `warren ctl environment` and `stop`, the
// bound address in the log, and start-up failures as one line with exit 1 and nothing logged as started.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, test } from 'node:test'
import amqp from 'amqplib'

const BIN = fileURLToPath(new URL('../../src/bin/warren.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'warren-conf-e2e-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('WARREN_') && !k.startsWith('RABBITMQ_')),
)

function write(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

interface Server {
  child: ChildProcess
  amqpPort: number
  httpPort: number
  out: () => string
  exited: Promise<number | null>
}

async function start(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, [BIN, 'server', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...cleanEnv, ...env },
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const ports = await new Promise<[number, number]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not started: ${out}`)), 20_000)
    void exited.then(() => reject(new Error(`exited: ${out}`)))
    child.stdout?.on('data', () => {
      const a = /AMQP 0-9-1 listener started on \S+:(\d+)/.exec(out)
      const h = /HTTP API listener started on \S+:(\d+)/.exec(out)
      if (a && h && /Warren \S+ started/.test(out)) {
        clearTimeout(timer)
        resolve([Number(a[1]), Number(h[1])])
      }
    })
  })
  return { child, amqpPort: ports[0], httpPort: ports[1], out: () => out, exited }
}

function ctl(httpPort: number, user: string, pass: string, ...args: string[]) {
  const url = `http://${user}:${pass}@127.0.0.1:${httpPort}/`
  const r = spawnSync(process.execPath, [BIN, 'ctl', '--url', url, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

function failedStart(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, 'server', ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...cleanEnv, ...env },
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('file and RabbitMQ environment settings, ctl environment shows their sources, ctl stop stops', async () => {
  const conf = write(
    'app.conf',
    'listeners.tcp.default = 127.0.0.1:0\nmanagement.tcp.port = 0\nheartbeat = 17\nloopback_users = none\n',
  )
  const s = await start(['--config', conf, '--data-dir', join(dir, 'data1')], {
    RABBITMQ_DEFAULT_USER: 'app',
    RABBITMQ_DEFAULT_PASS: 'app-secret',
  })
  assert.match(s.out(), /AMQP 0-9-1 listener started on 127\.0\.0\.1:\d+/)
  const conn = await amqp.connect(`amqp://app:app-secret@127.0.0.1:${s.amqpPort}/`)
  await conn.close()
  await assert.rejects(amqp.connect(`amqp://guest:guest@127.0.0.1:${s.amqpPort}/`), /ACCESS_REFUSED|403/)

  const env = ctl(s.httpPort, 'app', 'app-secret', 'environment', '--formatter', 'json')
  assert.equal(env.status, 0, env.stderr)
  const doc = JSON.parse(env.stdout) as { config_files: string[]; settings: Array<Record<string, unknown>> }
  assert.deepEqual(doc.config_files, [conf])
  const setting = (name: string) => doc.settings.find((x) => x['name'] === name)
  assert.deepEqual(setting('heartbeat'), { name: 'heartbeat', value: 17, source: `${conf}:3` })
  assert.deepEqual(setting('default_user'), {
    name: 'default_user',
    value: 'app',
    source: 'env RABBITMQ_DEFAULT_USER',
  })
  assert.deepEqual(setting('default_pass'), {
    name: 'default_pass',
    value: '********',
    source: 'env RABBITMQ_DEFAULT_PASS',
  })
  assert.equal(setting('data_dir')?.['source'], 'flag --data-dir')
  assert.equal(setting('channel_max')?.['source'], 'default')
  const table = ctl(s.httpPort, 'app', 'app-secret', 'environment')
  assert.match(table.stdout, /^heartbeat\t17\t.*app\.conf:3$/m)

  const stop = ctl(s.httpPort, 'app', 'app-secret', 'stop')
  assert.equal(stop.status, 0, stop.stderr)
  assert.match(stop.stdout, /Stopping and halting node warren@/)
  assert.equal(await s.exited, 0)
  assert.match(s.out(), /stop requested by user 'app'/)
})

test('a user without the administrator tag can neither stop the broker nor read its settings', async () => {
  const s = await start([
    '--amqp-port',
    '0',
    '--http-port',
    '0',
    '--bind',
    '127.0.0.1',
    '--data-dir',
    join(dir, 'd2'),
  ])
  try {
    const put = await fetch(`http://127.0.0.1:${s.httpPort}/api/users/watcher`, {
      method: 'PUT',
      headers: {
        authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ password: 'w', tags: 'monitoring' }),
    })
    assert.equal(put.status, 201)
    assert.equal(ctl(s.httpPort, 'watcher', 'w', 'stop').status, 77)
    assert.equal(ctl(s.httpPort, 'watcher', 'w', 'environment').status, 77)
  } finally {
    s.child.kill('SIGTERM')
    assert.equal(await s.exited, 0)
  }
})

test('load_definitions: imported at every start, and a fresh node then gets no default user', async () => {
  const defs = write(
    'defs.json',
    JSON.stringify({
      users: [{ name: 'ops', password: 'ops-pass', tags: 'administrator' }],
      vhosts: [{ name: 'orders' }],
      permissions: [{ user: 'ops', vhost: 'orders', configure: '.*', write: '.*', read: '.*' }],
      queues: [{ name: 'incoming', vhost: 'orders', durable: true, auto_delete: false, arguments: {} }],
    }),
  )
  const conf = write('defs.conf', `load_definitions = ${defs}\n`)
  const dataDir = join(dir, 'defs-data')
  for (let round = 0; round < 2; round++) {
    const s = await start([
      '--config',
      conf,
      '--amqp-port',
      '0',
      '--http-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--data-dir',
      dataDir,
    ])
    try {
      assert.match(s.out(), /definitions imported from /)
      const conn = await amqp.connect(`amqp://ops:ops-pass@127.0.0.1:${s.amqpPort}/orders`)
      const ch = await conn.createChannel()
      assert.equal((await ch.checkQueue('incoming')).messageCount, 0)
      await conn.close()
      await assert.rejects(amqp.connect(`amqp://guest:guest@127.0.0.1:${s.amqpPort}/`), /ACCESS_REFUSED|403/)
    } finally {
      s.child.kill('SIGTERM')
      assert.equal(await s.exited, 0)
    }
  }
})

test('start-up failures: one line, exit 1, no stack, nothing logged as started', () => {
  const notJson = write('broken.json', '{"users": [')
  const garbage = write('garbage.pem', 'not a certificate\n')
  const aFile = write('a-file', '')
  const cases: Array<[string[], RegExp]> = [
    [
      ['--config', write('typo.conf', 'default_usr = x\n')],
      /typo\.conf:1: unknown setting 'default_usr' \(did you mean 'default_user'\?\)/,
    ],
    [['--config', join(dir, 'missing.conf')], /configuration file .*missing\.conf not found/],
    [
      ['--config', write('bad-defs.conf', `load_definitions = ${notJson}\n`)],
      /cannot load definitions from .*broken\.json: /,
    ],
    [
      ['--data-dir', join(aFile, 'sub')],
      /cannot use data directory .*a-file\/sub: a part of the path is not a directory/,
    ],
    [['--tls-port', '0', '--tls-cert', garbage, '--tls-key', garbage], /invalid TLS certificate or key: /],
    [
      ['--stomp-tls-port', '0', '--tls-cert', garbage, '--tls-key', garbage],
      /invalid TLS certificate or key: /,
    ],
    [['--stomp-tls-port', '0'], /a STOMP TLS port needs a certificate and a key/],
    [
      ['--tls-port', '0', '--tls-cert', join(dir, 'nope.pem'), '--tls-key', garbage],
      /cannot read TLS file .*nope\.pem: no such file or directory/,
    ],
    [
      ['--bind', '192.0.2.1'],
      /cannot listen for AMQP on 192\.0\.2\.1:0: address not available on this machine/,
    ],
  ]
  for (const [args, reason] of cases) {
    const r = failedStart(['--amqp-port', '0', '--http-port', '0', '--data-dir', join(dir, 'fail'), ...args])
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`)
    const lines = r.stderr.trim().split('\n')
    assert.equal(lines.length, 1, r.stderr)
    assert.match(lines[0] as string, /^warren: /)
    assert.match(r.stderr, reason)
    assert.doesNotMatch(r.stdout + r.stderr, /listener started|Warren \S+ started|\n\s+at /)
  }
})

test('the log names the address actually bound, and --log-format text is readable', async () => {
  const s = await start([
    '--amqp-port',
    '0',
    '--http-port',
    '0',
    '--data-dir',
    join(dir, 'd3'),
    '--log-format',
    'text',
  ])
  try {
    assert.match(s.out(), /INFO: AMQP 0-9-1 listener started on \[::\]:\d+/)
    assert.match(s.out(), /INFO: HTTP API listener started on \[::\]:\d+/)
    assert.doesNotMatch(s.out(), /^\{"level"/m)
  } finally {
    s.child.kill('SIGTERM')
    assert.equal(await s.exited, 0)
  }
})

test('the default Prometheus port taken by another broker: a warning, not a failed start; a named one fails', async (t) => {
  const { createServer } = await import('node:net')
  const blocker = createServer()
  const blocked = await new Promise<boolean>((resolve) => {
    blocker.once('error', () => resolve(false))
    blocker.listen(15692, () => resolve(true))
  })
  if (!blocked) return t.skip('port 15692 is in use on this machine: the scenario is already the case')
  try {
    const free = createServer()
    const amqpPort = await new Promise<number>((resolve) =>
      free.listen(0, () => resolve((free.address() as { port: number }).port)),
    )
    await new Promise((r) => free.close(r))
    const s = await start([
      '--amqp-port',
      String(amqpPort),
      '--http-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--data-dir',
      join(dir, 'd4'),
    ])
    try {
      assert.match(
        s.out(),
        /Prometheus port 15692 is in use \(another broker\?\): metrics are served on the HTTP API port only/,
      )
      assert.doesNotMatch(s.out(), /Prometheus listener started/)
    } finally {
      s.child.kill('SIGTERM')
      assert.equal(await s.exited, 0)
    }
    const r = failedStart([
      '--amqp-port',
      '0',
      '--http-port',
      '0',
      '--prometheus-port',
      '15692',
      '--data-dir',
      join(dir, 'd5'),
    ])
    assert.equal(r.status, 1)
    assert.match(r.stderr, /^warren: Prometheus port \[::\]:15692 is already in use\n$/)
  } finally {
    blocker.close()
  }
})
