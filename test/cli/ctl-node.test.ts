// warren ctl ping, await_startup, list_user_permissions and authenticate_user, with rabbitmqctl 3.10's
// output and exit codes (checked against RabbitMQ 3.10.8's rabbitmqctl).
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { describe, test } from 'node:test'
import { startBroker } from '../../src/index.js'
import { lines, runCli, scratchVhost, unique, useWarren } from './helpers.js'

const w = useWarren()

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  return typeof address === 'object' && address ? address.port : 0
}

describe('ping and await_startup', () => {
  test('ping: "Ping succeeded", exit 0; JSON {"message": ...}', async () => {
    const r = await w.ctl('ping')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(lines(r.stdout), [
      `Will ping ${w.httpUrl.replace(/\/$/, '')}. This only checks that the broker's HTTP API answers. Timeout: 60000 ms.`,
      'Ping succeeded',
    ])
    const json = await w.ctl('ping', '--formatter', 'json')
    assert.deepEqual(JSON.parse(json.stdout), { message: 'Ping succeeded' })
  })

  test('ping needs no valid user: a refused login still shows the broker is up', async () => {
    const r = await w.ctl('--username', 'nobody', '--password', 'x', '-q', 'ping')
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'Ping succeeded\n', ''])
  })

  test('ping a broker that is not running: exit 69 with the cause', async () => {
    const port = await freePort()
    const r = await runCli(['--url', `http://127.0.0.1:${port}`, '-q', 'ping'])
    assert.equal(r.code, 69)
    assert.match(
      r.stderr,
      /^Error:\nFailed to connect and authenticate to http:\/\/127\.0\.0\.1:\d+ in 60000 ms\n/,
    )
    assert.match(r.stderr, /connection refused/)
  })

  test('await_startup waits for a broker that starts later, and gives up after --timeout', async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const waiting = runCli(['--url', url, '-t', '20', 'await_startup'])
    await new Promise((resolve) => setTimeout(resolve, 600))
    const broker = await startBroker({ amqpPort: 0, httpPort: port, bind: '127.0.0.1', logLevel: 'silent' })
    try {
      const r = await waiting
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, '')
    } finally {
      await broker.close()
    }
    const gaveUp = await runCli(['--url', url, '-t', '1', 'await_startup'])
    assert.equal(gaveUp.code, 69)
    assert.match(gaveUp.stderr, /did not start within 1 seconds/)
  })
})

describe('users', () => {
  test('list_user_permissions: vhost and the three patterns, a missing user exits 69', async () => {
    const vhost = await scratchVhost(w)
    const user = unique('perm-user')
    assert.equal((await w.ctl('add_user', user, 'pw')).code, 0)
    assert.equal((await w.ctl('set_permissions', '-p', vhost, user, '^c', '^w', '^r')).code, 0)
    const r = await w.ctl('list_user_permissions', user)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(lines(r.stdout), [
      `Listing permissions for user "${user}" ...`,
      'vhost\tconfigure\twrite\tread',
      `${vhost}\t^c\t^w\t^r`,
    ])
    const json = await w.ctl('list_user_permissions', user, '--formatter', 'json')
    assert.deepEqual(JSON.parse(json.stdout), [{ vhost, configure: '^c', write: '^w', read: '^r' }])
    const missing = await w.ctl('list_user_permissions', 'no-such-user')
    assert.equal(missing.code, 69)
    assert.equal(missing.stderr, 'Error:\n{:no_such_user, "no-such-user"}\n')
  })

  test('authenticate_user: Success, or exit 65 for a wrong password and an unknown user', async () => {
    const user = unique('auth-user')
    assert.equal((await w.ctl('add_user', user, 's3cret')).code, 0) // no tags: not a management user
    const ok = await w.ctl('authenticate_user', user, 's3cret')
    assert.equal(ok.code, 0, ok.stderr)
    assert.deepEqual(lines(ok.stdout), [`Authenticating user "${user}" ...`, 'Success'])
    for (const [name, password] of [
      [user, 'wrong'],
      ['no-such-user', 'x'],
    ] as const) {
      const r = await w.ctl('authenticate_user', name, password)
      assert.equal(r.code, 65, name)
      assert.equal(
        r.stderr,
        `Error:\nError: failed to authenticate user "${name}"\nuser '${name}' - invalid credentials\n`,
      )
    }
    const noPassword = await w.ctl('authenticate_user', user)
    assert.equal(noPassword.code, 70)
  })
})
