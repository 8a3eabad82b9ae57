// warren ctl when things go wrong: no broker, wrong credentials, a user without the needed tag, a
// server that never answers or does not speak HTTP, bad command lines. And the real `warren` binary
// in a child process, for the exit codes and streams a shell sees.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createServer, type Server, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'
import { lines, runCli, unique, useWarren } from './helpers.js'

const w = useWarren()
const BIN = fileURLToPath(new URL('../../src/bin/warren.js', import.meta.url))

/** A TCP server on a free port that treats each socket with `onSocket`. */
async function tcpServer(onSocket: (s: Socket) => void): Promise<{ port: number; server: Server }> {
  const server = createServer(onSocket)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return { port: typeof address === 'object' && address ? address.port : 0, server }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const { port, server } = await tcpServer(() => {})
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('broker unreachable', () => {
  test('connection refused: the URL, the cause, a hint, exit 69', async () => {
    const port = await closedPort()
    const r = await runCli(['--url', `http://127.0.0.1:${port}`, 'list_queues'])
    assert.equal(r.code, 69)
    assert.equal(
      r.stderr,
      `Error: unable to connect to the Warren HTTP API at http://127.0.0.1:${port}: connection refused. Is the broker running?\n`,
    )
  })

  test('an unknown host', async () => {
    const r = await runCli(['--url', 'http://no-such-host.invalid:15672', 'list_vhosts'])
    assert.equal(r.code, 69)
    assert.match(
      r.stderr,
      /^Error: unable to connect to the Warren HTTP API at http:\/\/no-such-host\.invalid:15672: (host not found|host name lookup failed)\. Is the broker running\?\n$/,
    )
  })

  test('a server that does not answer within --timeout: exit 75', async () => {
    const held: Socket[] = []
    const { port, server } = await tcpServer((s) => void held.push(s))
    try {
      const r = await runCli(['--url', `http://127.0.0.1:${port}`, '-t', '0.2', 'list_users'])
      assert.equal(r.code, 75)
      assert.equal(
        r.stderr,
        `Error: the Warren HTTP API at http://127.0.0.1:${port} did not answer within 0.2 seconds (see --timeout)\n`,
      )
    } finally {
      for (const s of held) s.destroy()
      server.close()
    }
  })

  test('pointed at a port that does not speak HTTP (the AMQP port)', async () => {
    const r = await runCli(['--url', `http://127.0.0.1:${w.broker.amqpPort}`, 'list_users'])
    assert.equal(r.code, 69)
    assert.match(
      r.stderr,
      /^Error: the server at http:\/\/127\.0\.0\.1:\d+ does not answer in HTTP \(HPE_\w+\)\. Is that the AMQP port\?/,
    )
  })
})

describe('credentials', () => {
  test('a wrong password: 401 explained, exit 77', async () => {
    const r = await w.ctl('--password', 'wrong', 'list_queues')
    assert.equal(r.code, 77)
    assert.equal(
      r.stderr,
      `Error: the Warren HTTP API at ${w.httpUrl.replace(/\/$/, '')} rejected the credentials of user 'guest' ` +
        '(401 Unauthorized: Login failed). Check --username and --password.\n',
    )
  })

  test('an unknown user', async () => {
    const r = await w.ctl('--username', 'nobody', '--password', 'x', 'list_vhosts')
    assert.equal(r.code, 77)
    assert.match(r.stderr, /rejected the credentials of user 'nobody'/)
  })

  test('a user without the administrator tag is told what is missing', async () => {
    const user = unique('ctl-mgmt')
    await w.ctl('add_user', user, 'pw')
    await w.ctl('set_user_tags', user, 'management')
    await w.ctl('set_permissions', user, '.*', '.*', '.*')
    const allowed = await w.ctl('--username', user, '--password', 'pw', 'list_queues')
    assert.equal(allowed.code, 0, allowed.stderr)
    const r = await w.ctl('--username', user, '--password', 'pw', 'list_users')
    assert.equal(r.code, 77)
    assert.match(
      r.stderr,
      new RegExp(`refused this request for user '${user}' \\(401 Unauthorized: Not administrator user\\)`),
    )
  })

  test('credentials and address from WARREN_HTTP_URL; flags win over it', async () => {
    const url = new URL(w.httpUrl)
    url.username = 'guest'
    url.password = 'wrong'
    const env = { WARREN_HTTP_URL: url.href }
    assert.equal((await w.ctlWith({ env, noUrl: true }, 'list_vhosts')).code, 77)
    const r = await w.ctlWith({ env, noUrl: true }, '--password', 'guest', '-q', 'list_vhosts')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(lines(r.stdout)[0], 'name')
  })

  test('--host and --port replace parts of the URL', async () => {
    const port = await closedPort()
    const r = await runCli([
      '--url',
      `http://127.0.0.1:${port}`,
      '--port',
      String(w.broker.httpPort),
      'list_vhosts',
    ])
    assert.equal(r.code, 0, r.stderr)
    const host = await runCli(['--url', w.httpUrl, '--host', 'no-such-host.invalid', 'list_vhosts'])
    assert.equal(host.code, 69)
  })
})

describe('command line', () => {
  test('an unknown command, missing and extra arguments, a bad formatter: exit 64', async () => {
    for (const [argv, message] of [
      [['add_user', 'x'], /missing required argument 'password'/],
      [['list_users', 'user'], /too many arguments/],
      [['--formatter', 'csv', 'list_users'], /Allowed choices are table, json/],
      [['-t', 'soon', 'list_users'], /positive number of seconds/],
    ] as const) {
      const r = await w.ctl(...argv)
      assert.equal(r.code, 64, argv.join(' '))
      assert.match(r.stderr, /^Error \(argument validation\): /)
      assert.match(r.stderr, message)
    }
  })

  test('an unknown command: rabbitmqctl\'s "not found" and the closest command, exit 64', async () => {
    for (const [typed, suggestion] of [
      ['stat', 'status'],
      ['lisst_queues', 'list_queues'],
      ['list_queue', 'list_queues'],
      ['list_user_permision', 'list_user_permissions'],
    ] as const) {
      const r = await w.ctl(typed)
      assert.equal(r.code, 64, typed)
      assert.equal(r.stderr, `\nCommand '${typed}' not found. \nDid you mean '${suggestion}'? \n\n`)
    }
    const far = await w.ctl('list_everything_please')
    assert.equal(far.code, 64)
    assert.equal(
      far.stderr,
      "\nCommand 'list_everything_please' not found. \nRun 'warren ctl help' for the commands.\n\n",
    )
  })

  test('global options are taken before or after the command', async () => {
    const before = await w.ctl('-q', '-p', '/', 'list_exchanges')
    const after = await w.ctl('list_exchanges', '-p', '/', '-q')
    assert.equal(before.code, 0)
    assert.equal(before.stdout, after.stdout)
    assert.equal(lines(before.stdout)[0], 'name\ttype')
  })

  test('help lists the commands; help <command> its usage', async () => {
    const r = await runCli(['help'])
    assert.equal(r.code, 0)
    for (const cmd of ['list_queues', 'set_permissions', 'export_definitions', 'trace_on', 'status']) {
      assert.match(r.stdout, new RegExp(`^  ${cmd}\\b`, 'm'))
    }
    const one = await runCli(['help', 'delete_queue'])
    assert.match(one.stdout, /^Usage: warren ctl delete_queue \[options\] <queue>/)
    assert.match(one.stdout, /--if-empty/)
  })
})

describe('the warren binary', () => {
  function run(
    args: string[],
    stdin?: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, WARREN_HTTP_URL: '' } })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code, stdout, stderr }))
      child.stdin.end(stdin ?? '')
    })
  }

  test('warren ctl list_vhosts prints to stdout and exits 0', async () => {
    const r = await run(['ctl', '--url', w.httpUrl, 'list_vhosts'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(lines(r.stdout)[0], 'Listing vhosts ...')
    assert.ok(lines(r.stdout).includes('/'))
    assert.equal(r.stderr, '')
  })

  test('options after the command reach warren ctl', async () => {
    const r = await run(['ctl', 'list_queues', '--url', w.httpUrl, '-p', '/', '-s', '--formatter', 'json'])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(Array.isArray(JSON.parse(r.stdout)))
  })

  test('broker down: the message on stderr, exit 69', async () => {
    const port = await closedPort()
    const r = await run(['ctl', '--url', `http://127.0.0.1:${port}`, 'list_queues'])
    assert.equal(r.code, 69)
    assert.match(
      r.stderr,
      /^Error: unable to connect to the Warren HTTP API at http:\/\/127\.0\.0\.1:\d+: connection refused\. Is the broker running\?\n$/,
    )
  })

  test('import_definitions - reads the process standard input', async () => {
    const vhost = unique('ctl-bin')
    const r = await run(
      ['ctl', '--url', w.httpUrl, '-q', 'import_definitions', '-'],
      JSON.stringify({ vhosts: [{ name: vhost }] }),
    )
    assert.equal(r.code, 0, r.stderr)
    assert.ok(lines((await w.ctl('-s', 'list_vhosts')).stdout).includes(vhost))
  })

  test('a usage error exits 64', async () => {
    const r = await run(['ctl', 'no_such_command'])
    assert.equal(r.code, 64)
    assert.match(r.stderr, /Command 'no_such_command' not found/)
  })
})
