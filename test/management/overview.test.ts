import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { scratchUser, scratchVhost, seg, useManagement } from './helpers.js'

const m = useManagement()
const vhost = scratchVhost(m, 'mgmt-health')
const tester = scratchUser(m, 'management', 'mgmt-health-user')

describe('overview, nodes and health checks', () => {
  test('overview has RabbitMQ fields: versions, exchange types, totals, message stats, listeners', async () => {
    const r = await m.api('GET', '/api/overview')
    assert.equal(r.status, 200)
    const o = r.json
    assert.equal(o.rabbitmq_version.split('.')[0], '3')
    assert.equal(o.rates_mode, 'basic')
    assert.deepEqual(
      (o.exchange_types as Array<{ name: string }>).map((t) => t.name).filter((n) => !n.startsWith('x-')),
      ['direct', 'fanout', 'headers', 'topic'],
    )
    for (const k of ['channels', 'connections', 'consumers', 'exchanges', 'queues']) {
      assert.equal(typeof o.object_totals[k], 'number', k)
    }
    for (const k of ['messages', 'messages_ready', 'messages_unacknowledged']) {
      assert.equal(typeof o.queue_totals[k], 'number', k)
      assert.equal(typeof o.queue_totals[`${k}_details`].rate, 'number', k)
    }
    for (const k of [
      'publish',
      'deliver',
      'ack',
      'confirm',
      'redeliver',
      'get',
      'return_unroutable',
      'drop_unroutable',
    ]) {
      assert.equal(typeof o.message_stats[k], 'number', k)
      assert.equal(typeof o.message_stats[`${k}_details`].rate, 'number', k)
    }
    assert.ok((o.listeners as Array<{ protocol: string }>).some((l) => l.protocol === 'amqp'))
    assert.equal(typeof o.node, 'string')
  })

  test('overview columns= keeps only the asked fields', async () => {
    const r = await m.api('GET', '/api/overview?columns=object_totals.queues,node')
    assert.deepEqual(Object.keys(r.json).sort(), ['node', 'object_totals'])
    assert.equal(typeof r.json.object_totals.queues, 'number')
  })

  test('nodes lists this node; nodes/{name} finds it and 404s on another', async () => {
    const nodes = (await m.api('GET', '/api/nodes')).json as Array<Record<string, unknown>>
    assert.equal(nodes.length, 1)
    const n = nodes[0] as Record<string, unknown>
    assert.equal(n['running'], true)
    for (const k of ['name', 'mem_used', 'mem_limit', 'disk_free', 'uptime', 'processors', 'partitions'])
      assert.ok(k in n, k)
    assert.equal((await m.api('GET', `/api/nodes/${seg(n['name'] as string)}`)).json.name, n['name'])
    // RabbitMQ 3.10 answers 500 here; Warren says 404
    if (!m.external) assert.equal((await m.api('GET', '/api/nodes/rabbit@nowhere')).status, 404)
  })

  test('unknown paths: 404 Object Not Found', async () => {
    const r = await m.api('GET', '/api/no-such-thing')
    assert.equal(r.status, 404)
    assert.deepEqual(r.json, { error: 'Object Not Found', reason: 'Not Found' })
  })

  test('cluster-name, extensions, and empty policy and parameter lists', async () => {
    assert.equal(typeof (await m.api('GET', '/api/cluster-name')).json.name, 'string')
    assert.ok(Array.isArray((await m.api('GET', '/api/extensions')).json))
    for (const p of [
      '/api/policies',
      `/api/policies/${seg(vhost.name)}`,
      '/api/operator-policies',
      '/api/parameters',
    ]) {
      const r = await m.api('GET', p)
      assert.equal(r.status, 200, p)
      assert.deepEqual(r.json, [], p)
    }
  })

  test('aliveness-test declares aliveness-test, round-trips a message, and says ok', async () => {
    const r = await m.api('GET', `/api/aliveness-test/${seg(vhost.name)}`)
    assert.equal(r.status, 200)
    assert.deepEqual(r.json, { status: 'ok' })
    const q = await m.api('GET', `/api/queues/${seg(vhost.name)}/aliveness-test`)
    assert.equal(q.status, 200)
    assert.equal((await m.api('GET', '/api/aliveness-test/no-such-vhost')).status, 404)
  })

  test('aliveness-test runs as the caller: it needs write on the default exchange and read on the queue', async () => {
    const as = { user: [tester.name, tester.password] as const }
    const path = `/api/aliveness-test/${seg(vhost.name)}`
    const grant = (write: string, read: string): Promise<unknown> =>
      m.api('PUT', `/api/permissions/${seg(vhost.name)}/${tester.name}`, {
        body: { configure: '^aliveness-test$', write, read },
      })
    await grant('^amq\\.default$', '^aliveness-test$')
    assert.equal((await m.api('GET', path, as)).status, 200)
    for (const [write, read] of [
      ['^nothing$', '^aliveness-test$'],
      ['^amq\\.default$', '^nothing$'],
    ] as const) {
      await grant(write, read)
      assert.equal((await m.api('GET', path, as)).status, 401, `write ${write} read ${read}`)
    }
  })

  test('alarm and vhost health checks pass', async () => {
    for (const p of ['alarms', 'local-alarms', 'virtual-hosts']) {
      const r = await m.api('GET', `/api/health/checks/${p}`)
      assert.equal(r.status, 200, p)
      assert.deepEqual(r.json, { status: 'ok' })
    }
  })

  test('port-listener: ok for the AMQP port, 503 for another, 400 for a non-number', async () => {
    const port = Number(new URL(m.amqpUrl).port)
    assert.deepEqual((await m.api('GET', `/api/health/checks/port-listener/${port}`)).json, {
      status: 'ok',
      port,
    })
    const missing = await m.api('GET', '/api/health/checks/port-listener/1')
    assert.equal(missing.status, 503)
    assert.equal(missing.json.status, 'failed')
    assert.equal(missing.json.reason, 'No active listener')
    assert.equal(missing.json.missing, 1)
    assert.ok((missing.json.ports as number[]).includes(port))
    const bad = await m.api('GET', '/api/health/checks/port-listener/abc')
    assert.deepEqual(bad.json, { error: 'bad_request', reason: 'Invalid port' })
  })

  test('protocol-listener: ok for amqp, stomp, mqtt, stream, web-mqtt and web-stomp, 503 for one without a listener', async () => {
    for (const p of ['amqp', 'stomp', 'mqtt', 'stream', 'web-mqtt', 'web-stomp'])
      assert.equal((await m.api('GET', `/api/health/checks/protocol-listener/${p}`)).status, 200, p)
    const web = await m.api('GET', '/api/health/checks/protocol-listener/web-stomp')
    assert.deepEqual(web.json, { status: 'ok', protocol: 'http/web-stomp' })
    // RabbitMQ serves its HTTP API over TLS as protocol https; Warren has no such listener (and RabbitMQ
    // 3.10.8 without one answers the same 503).
    const missing = await m.api('GET', '/api/health/checks/protocol-listener/https')
    assert.equal(missing.status, 503)
    assert.deepEqual([missing.json.status, missing.json.missing], ['failed', 'https'])
  })
})
