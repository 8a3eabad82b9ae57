// warren ctl for policies, queues, connections, definitions and status.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type amqp, lines, scratchVhost, unique, useWarren } from './helpers.js'

const w = useWarren()
let dir = ''
before(async () => void (dir = await mkdtemp(join(tmpdir(), 'warren-ctl-'))))
after(async () => rm(dir, { recursive: true, force: true }))

/** A queue in `vhost` holding `count` ready messages. */
async function filledQueue(vhost: string, name: string, count: number): Promise<amqp.ChannelModel> {
  const conn = await w.connect(vhost)
  const ch = await conn.createConfirmChannel()
  await ch.assertQueue(name)
  for (let i = 0; i < count; i++) ch.sendToQueue(name, Buffer.from(`m${i}`))
  await ch.waitForConfirms()
  return conn
}

const messagesOf = async (vhost: string, queue: string): Promise<string | undefined> =>
  lines((await w.ctl('-s', 'list_queues', '-p', vhost, 'name', 'messages')).stdout)
    .find((l) => l.startsWith(`${queue}\t`))
    ?.split('\t')[1]

describe('policies', () => {
  // The HTTP API may not take policies yet: set_policy then says so instead of pretending.
  test('set_policy, list_policies, clear_policy (or a clear "not supported")', async () => {
    const vhost = await scratchVhost(w)
    const set = await w.ctl(
      'set_policy',
      '-p',
      vhost,
      'ttl',
      '^q\\.',
      '{"message-ttl":1000}',
      '--priority',
      '3',
      '--apply-to',
      'queues',
    )
    assert.equal(
      lines(set.stdout)[0],
      `Setting policy "ttl" for pattern "^q\\." to "{"message-ttl":1000}" with priority "3" for vhost "${vhost}" ...`,
    )
    if (set.code !== 0) {
      assert.equal(set.code, 69)
      assert.match(
        set.stderr,
        /^Error: policies are not supported by the broker at http:\/\/[^:]+:\d+: PUT \/api\/policies\/.+\/ttl answered 40[45]\n$/,
      )
      return
    }
    const listed = await w.ctl('list_policies', '-p', vhost)
    assert.equal(
      listed.stdout,
      `Listing policies for vhost "${vhost}" ...\nvhost\tname\tpattern\tapply-to\tdefinition\tpriority\n` +
        `${vhost}\tttl\t^q\\.\tqueues\t{"message-ttl":1000}\t3\n`,
    )
    const clear = await w.ctl('clear_policy', '-p', vhost, 'ttl')
    assert.equal(clear.stdout, `Clearing policy "ttl" on vhost "${vhost}" ...\n`)
  })

  test('set_policy refuses a definition that is not JSON before calling the API', async () => {
    const r = await w.ctl('set_policy', 'p', '^x', 'notjson')
    assert.equal(r.code, 69)
    assert.match(r.stderr, /^Error:\nJSON decoding error\. Reason: /)
  })

  test('set_policy --priority must be an integer', async () => {
    const r = await w.ctl('set_policy', 'p', '^x', '{}', '--priority', 'high')
    assert.equal(r.code, 64)
  })

  test('clear_policy of a policy that does not exist', async () => {
    const vhost = await scratchVhost(w)
    const r = await w.ctl('clear_policy', '-p', vhost, 'nope')
    assert.equal(r.code, 69)
    assert.equal(r.stderr, 'Error:\nParameter does not exist\n')
  })

  test('set_policy in a missing vhost', async () => {
    const r = await w.ctl('set_policy', '-p', 'no-such-vhost', 'p', '^x', '{}')
    assert.equal(r.code, 65)
    assert.equal(r.stderr, "Virtual host 'no-such-vhost' does not exist\n")
  })
})

describe('purge_queue and delete_queue', () => {
  test('purge_queue empties a queue', async () => {
    const vhost = await scratchVhost(w)
    await filledQueue(vhost, 'to-purge', 3)
    assert.equal(await messagesOf(vhost, 'to-purge'), '3')
    const r = await w.ctl('purge_queue', '-p', vhost, 'to-purge')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `Purging queue 'to-purge' in vhost '${vhost}' ...\n`)
    assert.equal(await messagesOf(vhost, 'to-purge'), '0')
  })

  test('purge_queue of a missing queue (69) or in a missing vhost (65)', async () => {
    const vhost = await scratchVhost(w)
    const q = await w.ctl('purge_queue', '-p', vhost, 'nope')
    assert.equal(q.code, 69)
    assert.equal(q.stderr, 'Error:\nQueue not found\n')
    const v = await w.ctl('purge_queue', '-p', 'no-such-vhost', 'nope')
    assert.equal(v.code, 65)
  })

  test('a missing vhost exits 65 for purge_queue and delete_queue; a missing queue does not', async () => {
    for (const cmd of ['purge_queue', 'delete_queue']) {
      const r = await w.ctl(cmd, '-p', 'no-such-vhost', 'q')
      assert.equal(r.code, 65, cmd)
      assert.equal(r.stderr, "Virtual host 'no-such-vhost' does not exist\n")
    }
    const vhost = await scratchVhost(w)
    const r = await w.ctl('delete_queue', '-p', vhost, 'no-such-queue')
    assert.deepEqual([r.code, r.stderr], [64, 'Error:\nQueue not found\n'])
  })

  test('delete_queue reports the ready messages it dropped, even with -q', async () => {
    const vhost = await scratchVhost(w)
    await filledQueue(vhost, 'to-delete', 3)
    const r = await w.ctl('delete_queue', '-p', vhost, 'to-delete')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      r.stdout,
      `Deleting queue 'to-delete' on vhost '${vhost}' ...\nQueue was successfully deleted with 3 ready messages\n`,
    )
    assert.equal(await messagesOf(vhost, 'to-delete'), undefined)
    await filledQueue(vhost, 'quiet', 1)
    assert.equal(
      (await w.ctl('-q', 'delete_queue', '-p', vhost, 'quiet')).stdout,
      'Queue was successfully deleted with 1 ready messages\n',
    )
  })

  test('delete_queue --if-empty refuses a queue with messages', async () => {
    const vhost = await scratchVhost(w)
    await filledQueue(vhost, 'full', 1)
    const r = await w.ctl('delete_queue', '-p', vhost, 'full', '--if-empty')
    assert.equal(r.code, 64)
    assert.equal(r.stdout, `Deleting queue 'full' on vhost '${vhost}' if queue is empty ...\n`)
    assert.equal(r.stderr, 'Error:\nQueue is not empty\n')
    assert.equal(await messagesOf(vhost, 'full'), '1')
  })

  test('delete_queue -u refuses a queue with consumers; -e -u together', async () => {
    const vhost = await scratchVhost(w)
    const conn = await filledQueue(vhost, 'used', 0)
    const ch = await conn.createChannel()
    await ch.consume('used', () => {})
    const r = await w.ctl('delete_queue', '-p', vhost, 'used', '-u')
    assert.equal(r.code, 64)
    assert.equal(r.stderr, 'Error:\nQueue is in use\n')
    const both = await w.ctl('delete_queue', '-p', vhost, 'used', '-e', '-u')
    assert.equal(
      lines(both.stdout)[0],
      `Deleting queue 'used' on vhost '${vhost}' if queue is empty and if queue is unused ...`,
    )
    await ch.close()
    assert.equal((await w.ctl('delete_queue', '-p', vhost, 'used', '-e', '-u')).code, 0)
  })

  test('delete_queue of a missing queue', async () => {
    const r = await w.ctl('delete_queue', 'nope')
    assert.equal(r.code, 64)
    assert.equal(r.stderr, 'Error:\nQueue not found\n')
  })

  test('delete_queue --formatter json', async () => {
    const vhost = await scratchVhost(w)
    await filledQueue(vhost, 'json', 2)
    const r = await w.ctl('delete_queue', '-p', vhost, 'json', '--formatter', 'json')
    assert.equal(r.stdout, '{"message":"Queue was successfully deleted with 2 ready messages"}\n')
  })
})

describe('close_connection', () => {
  test('closes the named connection with the explanation as the reason', async () => {
    const name = unique('to-close')
    const conn = await w.connect('/', name)
    // amqplib treats 320 CONNECTION_FORCED as a close, not an 'error': it comes with the close event.
    const closed = new Promise<Error | undefined>((resolve) =>
      conn.on('close', (err?: Error) => resolve(err)),
    )
    const listed = await w.ctl('-s', 'list_connections', 'pid', 'client_properties')
    const pid = lines(listed.stdout)
      .find((l) => l.includes(`{"connection_name","${name}"}`))
      ?.split('\t')[0]
    assert.ok(pid, listed.stdout)
    const r = await w.ctl('close_connection', pid, 'maintenance window')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `Closing connection ${pid}, reason: maintenance window...\n`)
    const err = await closed
    assert.match(String(err?.message), /CONNECTION_FORCED.*maintenance window/)
  })

  test('an unknown connection is reported (69)', async () => {
    const r = await w.ctl('close_connection', '127.0.0.1:1 -> 127.0.0.1:2', 'x')
    assert.equal(r.code, 69)
    assert.equal(
      r.stderr,
      "Error:\nConnection '127.0.0.1:1 -> 127.0.0.1:2' not found (see list_connections name)\n",
    )
  })
})

describe('export_definitions and import_definitions', () => {
  test('export to a file, change the broker, import the file back', async () => {
    const vhost = await scratchVhost(w)
    await filledQueue(vhost, 'kept', 0)
    const file = join(dir, 'defs.json')
    const out = await w.ctl('export_definitions', file)
    assert.equal(out.code, 0, out.stderr)
    assert.equal(out.stdout, `Exporting definitions in JSON to a file at "${file}" ...\n`)
    const defs = JSON.parse(await readFile(file, 'utf8')) as {
      vhosts: { name: string }[]
      queues: { name: string }[]
    }
    assert.ok(defs.vhosts.some((v) => v.name === vhost))
    assert.ok(defs.queues.some((q) => q.name === 'kept'))
    await w.ctl('delete_vhost', vhost)
    const back = await w.ctl('import_definitions', file)
    assert.equal(back.code, 0, back.stderr)
    assert.equal(
      back.stdout,
      `Importing definitions in JSON from a file at "${file}" ...\nSuccessfully imported definitions.\n`,
    )
    assert.equal(await messagesOf(vhost, 'kept'), '0')
  })

  test("export to '-' prints the document alone, as rabbitmqctl does", async () => {
    const r = await w.ctl('export_definitions', '-')
    assert.equal(r.code, 0, r.stderr)
    const defs = JSON.parse(r.stdout) as { users: { name: string }[] }
    assert.ok(defs.users.some((u) => u.name === 'guest'))
    assert.ok(!r.stdout.endsWith('\n'))
  })

  test("import from '-' reads standard input", async () => {
    const vhost = unique('ctl-stdin')
    const r = await w.ctlWith(
      { stdin: JSON.stringify({ vhosts: [{ name: vhost }] }) },
      'import_definitions',
      '-',
    )
    assert.equal(r.code, 0, r.stderr)
    assert.equal(lines(r.stdout)[0], 'Importing definitions in JSON from standard input ...')
    assert.ok(lines((await w.ctl('-s', 'list_vhosts')).stdout).includes(vhost))
  })

  test('import: a missing file, a file that is not JSON, definitions the broker rejects', async () => {
    const missing = await w.ctl('import_definitions', join(dir, 'nope.json'))
    assert.equal(missing.code, 65)
    assert.equal(
      missing.stderr,
      `Error (argument validation): Bad argument: File ${join(dir, 'nope.json')} does not exist\n`,
    )
    const bad = join(dir, 'bad.json')
    await writeFile(bad, '{bad')
    const notJson = await w.ctl('import_definitions', bad)
    assert.equal(notJson.code, 65)
    assert.match(notJson.stderr, /^Error:\nFailed to deserialise input \(format: JSON\) \(error: /)
    const odd = join(dir, 'odd.json')
    await writeFile(odd, JSON.stringify({ queues: [{ name: 'q', vhost: 'no-such-vhost', durable: true }] }))
    const rejected = await w.ctl('import_definitions', odd)
    assert.equal(rejected.code, 65)
    assert.match(rejected.stderr, /^Error:\n.*no-such-vhost/)
  })

  test('export into a directory that does not exist', async () => {
    const r = await w.ctl('export_definitions', join(dir, 'no', 'such', 'defs.json'))
    assert.equal(r.code, 65)
    assert.equal(
      r.stderr,
      `Error (argument validation): Bad argument: Directory ${join(dir, 'no', 'such')} does not exist\n`,
    )
  })
})

describe('status', () => {
  test('prints the node report', async () => {
    const r = await w.ctl('status')
    assert.equal(r.code, 0, r.stderr)
    const out = lines(r.stdout)
    assert.match(out[0] ?? '', /^Status of node warren@\S+ \.\.\.$/)
    for (const section of [
      'Runtime',
      'Plugins',
      'Alarms',
      'Memory',
      'Free Disk Space',
      'Totals',
      'Listeners',
    ]) {
      assert.ok(out.includes(section), section)
    }
    assert.ok(out.includes(`OS PID: ${process.pid}`))
    assert.ok(out.includes('RabbitMQ version: 3.10.8') || out.some((l) => l.startsWith('RabbitMQ version: ')))
    assert.ok(out.some((l) => /^Warren version: \S+$/.test(l)))
    assert.ok(out.some((l) => /^Total memory used: \d+(\.\d+)? gb$/.test(l)))
    assert.ok(
      out.includes(`Interface: 127.0.0.1, port: ${w.broker.amqpPort}, protocol: amqp, purpose: AMQP 0-9-1`),
    )
    assert.ok(
      out.includes(`Interface: 127.0.0.1, port: ${w.broker.httpPort}, protocol: http, purpose: HTTP API`),
    )
    const prometheus = `port: ${w.broker.prometheusPort}, protocol: http/prometheus`
    assert.ok(out.includes(`Interface: 127.0.0.1, ${prometheus}, purpose: Prometheus exporter API over HTTP`))
    const webMqtt = `port: ${w.broker.webMqttPort}, protocol: http/web-mqtt`
    assert.ok(out.includes(`Interface: 127.0.0.1, ${webMqtt}, purpose: MQTT over WebSockets`))
    // rabbitmqctl 3.10.8's names for the MQTT and STOMP listeners (their TLS ones: MQTT/STOMP over TLS).
    const mqtt = `port: ${w.broker.mqttPort}, protocol: mqtt`
    assert.ok(out.includes(`Interface: 127.0.0.1, ${mqtt}, purpose: MQTT`), mqtt)
    const stomp = `port: ${w.broker.stompPort}, protocol: stomp`
    assert.ok(out.includes(`Interface: 127.0.0.1, ${stomp}, purpose: STOMP`), stomp)
    assert.ok(!r.stdout.includes('\x1b['), 'no terminal escapes when not a TTY')
  })

  test('--unit and -q', async () => {
    const r = await w.ctl('-q', 'status', '--unit', 'mb')
    assert.equal(lines(r.stdout)[0], 'Runtime')
    assert.ok(lines(r.stdout).some((l) => /^Free disk space: \d+(\.\d+)? mb$/.test(l)))
    const bad = await w.ctl('status', '--unit', 'tb')
    assert.equal(bad.code, 64)
  })

  test('--formatter json', async () => {
    const r = await w.ctl('status', '--formatter', 'json')
    const s = JSON.parse(r.stdout) as Record<string, unknown>
    assert.equal(s['pid'], process.pid)
    assert.equal(s['product_name'], 'Warren')
    assert.deepEqual(s['alarms'], [])
    assert.ok(((s['totals'] as Record<string, number>)['virtual_host_count'] ?? 0) > 0)
    assert.ok(Array.isArray(s['listeners']))
  })
})
