// warren ctl list_*: banners, headers and columns as rabbitmqctl 3.10 prints them, column selection,
// -q / -s / --no-table-headers, --formatter json, and unknown columns and vhosts.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { lines, scratchVhost, useWarren } from './helpers.js'

const w = useWarren()
let vhost = ''
let connName = ''

w.setup(async () => {
  vhost = await scratchVhost(w)
  const conn = await w.connect(vhost, 'ctl-listings')
  const ch = await conn.createConfirmChannel()
  await ch.assertExchange('ctl-ex', 'topic', { arguments: { 'alternate-exchange': 'amq.fanout' } })
  await ch.assertQueue('q-a', { arguments: { 'x-max-length': 10, 'x-queue-type': 'classic' } })
  await ch.assertQueue('q-b', { durable: false })
  await ch.bindQueue('q-a', 'ctl-ex', 'a.#', { 'x-foo': 'bar' })
  ch.sendToQueue('q-a', Buffer.from('one'))
  ch.sendToQueue('q-a', Buffer.from('two'))
  await ch.waitForConfirms()
  const consumer = await conn.createChannel()
  await consumer.prefetch(5)
  await consumer.consume('q-b', () => {}, { consumerTag: 'ctag-1', arguments: { 'x-priority': 3 } })
  const listed = await w.ctl('-q', 'list_connections', 'name', 'vhost')
  connName =
    lines(listed.stdout)
      .find((l) => l.endsWith(`\t${vhost}`))
      ?.split('\t')[0] ?? ''
})

describe('list_queues', () => {
  test('prints the timeout and vhost banner, then name and messages', async () => {
    const r = await w.ctl('list_queues', '-p', vhost)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      r.stdout,
      `Timeout: 60.0 seconds ...\nListing queues for vhost ${vhost} ...\nname\tmessages\nq-a\t2\nq-b\t0\n`,
    )
    assert.equal(r.stderr, '')
  })

  test('columns chosen as positional arguments, in their order; AMQP tables in Erlang form', async () => {
    const r = await w.ctl(
      '-q',
      'list_queues',
      '-p',
      vhost,
      'name',
      'messages',
      'consumers',
      'durable',
      'arguments',
    )
    assert.equal(
      r.stdout,
      'name\tmessages\tconsumers\tdurable\targuments\n' +
        'q-a\t2\t0\ttrue\t[{"x-max-length",10},{"x-queue-type","classic"}]\n' +
        'q-b\t0\t1\tfalse\t[]\n',
    )
  })

  test('-s drops the header too; --no-table-headers only the header', async () => {
    assert.equal((await w.ctl('-s', 'list_queues', '-p', vhost)).stdout, 'q-a\t2\nq-b\t0\n')
    const r = await w.ctl('list_queues', '--no-table-headers', '-p', vhost)
    assert.equal(
      r.stdout,
      `Timeout: 60.0 seconds ...\nListing queues for vhost ${vhost} ...\nq-a\t2\nq-b\t0\n`,
    )
  })

  test('--formatter json streams one object per line with typed argument triples, no banner', async () => {
    const r = await w.ctl('list_queues', '-p', vhost, '--formatter', 'json', 'name', 'arguments', 'policy')
    assert.equal(
      r.stdout,
      '[\n' +
        '{"name":"q-a","arguments":[["x-max-length","long",10],["x-queue-type","longstr","classic"]],"policy":""}\n' +
        ',{"name":"q-b","arguments":[],"policy":""}\n' +
        ']\n',
    )
  })

  test('-t changes the timeout banner', async () => {
    const r = await w.ctl('list_queues', '-p', vhost, '-t', '5')
    assert.equal(lines(r.stdout)[0], 'Timeout: 5.0 seconds ...')
  })

  test('an empty vhost prints the banner only (JSON: an empty list)', async () => {
    const empty = await scratchVhost(w)
    assert.equal(
      (await w.ctl('list_queues', '-p', empty)).stdout,
      `Timeout: 60.0 seconds ...\nListing queues for vhost ${empty} ...\n`,
    )
    assert.equal((await w.ctl('list_queues', '-p', empty, '--formatter', 'json')).stdout, '[\n]\n')
  })

  test('an unknown column is a usage error (64) naming it', async () => {
    const r = await w.ctl('list_queues', 'name', 'bogus')
    assert.equal(r.code, 64)
    assert.match(r.stderr, /^Error \(argument validation\): Info key\(s\) bogus are not supported\n/)
    assert.equal(r.stdout, '')
  })

  test('an unknown vhost fails with 65 and says so', async () => {
    const r = await w.ctl('list_queues', '-p', 'no-such-vhost')
    assert.equal(r.code, 65)
    assert.equal(r.stderr, "Virtual host 'no-such-vhost' does not exist\n")
  })
})

describe('list_exchanges and list_bindings', () => {
  test('list_exchanges: name and type by default, the default exchange with an empty name', async () => {
    const r = await w.ctl('list_exchanges', '-p', vhost)
    const out = lines(r.stdout)
    assert.deepEqual(out.slice(0, 2), [`Listing exchanges for vhost ${vhost} ...`, 'name\ttype'])
    assert.ok(out.includes('\tdirect'))
    assert.ok(out.includes('amq.topic\ttopic'))
    assert.ok(out.includes('ctl-ex\ttopic'))
  })

  test('list_exchanges columns', async () => {
    const r = await w.ctl(
      '-s',
      'list_exchanges',
      '-p',
      vhost,
      'name',
      'durable',
      'auto_delete',
      'internal',
      'arguments',
      'policy',
    )
    assert.ok(lines(r.stdout).includes('ctl-ex\ttrue\tfalse\tfalse\t[{"alternate-exchange","amq.fanout"}]\t'))
  })

  test('list_bindings: the default bindings first, then the explicit ones', async () => {
    const r = await w.ctl('list_bindings', '-p', vhost)
    assert.equal(
      r.stdout,
      `Listing bindings for vhost ${vhost}...\n` +
        'source_name\tsource_kind\tdestination_name\tdestination_kind\trouting_key\targuments\n' +
        '\texchange\tq-a\tqueue\tq-a\t[]\n' +
        '\texchange\tq-b\tqueue\tq-b\t[]\n' +
        'ctl-ex\texchange\tq-a\tqueue\ta.#\t[{"x-foo","bar"}]\n',
    )
  })

  test('list_bindings --formatter json', async () => {
    const r = await w.ctl(
      '-q',
      'list_bindings',
      '-p',
      vhost,
      '--formatter',
      'json',
      'source_name',
      'routing_key',
      'arguments',
    )
    assert.equal(
      r.stdout,
      '[\n{"source_name":"","routing_key":"q-a","arguments":[]}\n' +
        ',{"source_name":"","routing_key":"q-b","arguments":[]}\n' +
        ',{"source_name":"ctl-ex","routing_key":"a.#","arguments":[["x-foo","longstr","bar"]]}\n]\n',
    )
  })
})

describe('list_connections, list_channels, list_consumers', () => {
  test('list_connections: user, peer_host, peer_port and state by default', async () => {
    const r = await w.ctl('list_connections')
    const out = lines(r.stdout)
    assert.deepEqual(out.slice(0, 2), ['Listing connections ...', 'user\tpeer_host\tpeer_port\tstate'])
    const port = connName.split(' -> ')[0]?.split(':')[1]
    assert.ok(out.includes(`guest\t127.0.0.1\t${port}\trunning`), r.stdout)
  })

  test('list_connections: pid is the connection name; protocol and client properties as rabbitmqctl prints them', async () => {
    const r = await w.ctl('-s', 'list_connections', 'name', 'pid', 'protocol', 'vhost', 'client_properties')
    const row = lines(r.stdout).find((l) => l.startsWith(connName + '\t'))
    assert.ok(row, r.stdout)
    const [name, pid, protocol, v, props] = row.split('\t')
    assert.equal(pid, name)
    assert.equal(protocol, '{0,9,1}')
    assert.equal(v, vhost)
    assert.match(props ?? '', /^\[.*\{"connection_name","ctl-listings"\}.*\{"capabilities",\[\{"/)
  })

  test('list_connections --formatter json: protocol as a list, client properties as triples', async () => {
    const r = await w.ctl('list_connections', '--formatter', 'json', 'name', 'protocol', 'client_properties')
    const items = JSON.parse(r.stdout) as Array<{
      name: string
      protocol: unknown
      client_properties: unknown[]
    }>
    const mine = items.find((i) => i.name === connName)
    assert.deepEqual(mine?.protocol, [0, 9, 1])
    assert.ok(
      mine?.client_properties.some(
        (t) => JSON.stringify(t) === '["connection_name","longstr","ctl-listings"]',
      ),
    )
  })

  test('list_channels: pid (the channel name), user, consumer_count, messages_unacknowledged', async () => {
    const r = await w.ctl('list_channels')
    const out = lines(r.stdout)
    assert.deepEqual(out.slice(0, 2), [
      'Listing channels ...',
      'pid\tuser\tconsumer_count\tmessages_unacknowledged',
    ])
    assert.ok(out.includes(`${connName} (1)\tguest\t0\t0`), r.stdout)
    assert.ok(out.includes(`${connName} (2)\tguest\t1\t0`), r.stdout)
  })

  test('list_channels columns: connection, number, prefetch_count, vhost', async () => {
    const r = await w.ctl('-s', 'list_channels', 'connection', 'number', 'prefetch_count', 'vhost', 'confirm')
    const out = lines(r.stdout)
    assert.ok(out.includes(`${connName}\t1\t0\t${vhost}\ttrue`), r.stdout)
    assert.ok(out.includes(`${connName}\t2\t5\t${vhost}\tfalse`), r.stdout)
  })

  test('list_consumers: rabbitmqctl default columns, channel_pid as the channel name', async () => {
    const r = await w.ctl('list_consumers', '-p', vhost)
    assert.equal(
      r.stdout,
      `Listing consumers in vhost ${vhost} ...\n` +
        'queue_name\tchannel_pid\tconsumer_tag\tack_required\tprefetch_count\tactive\targuments\n' +
        `q-b\t${connName} (2)\tctag-1\ttrue\t5\ttrue\t[{"x-priority",3}]\n`,
    )
  })

  test('list_consumers --formatter json', async () => {
    const r = await w.ctl(
      'list_consumers',
      '-p',
      vhost,
      '--formatter',
      'json',
      'queue_name',
      'consumer_tag',
      'activity_status',
      'arguments',
    )
    assert.equal(
      r.stdout,
      '[\n{"queue_name":"q-b","consumer_tag":"ctag-1","activity_status":"up","arguments":[["x-priority","long",3]]}\n]\n',
    )
  })
})

describe('list_users, list_vhosts, list_permissions, list_policies', () => {
  test('list_users: user and tags', async () => {
    const r = await w.ctl('list_users')
    const out = lines(r.stdout)
    assert.deepEqual(out.slice(0, 2), ['Listing users ...', 'user\ttags'])
    assert.ok(out.includes('guest\t[administrator]'))
    assert.match(
      (await w.ctl('list_users', '--formatter', 'json')).stdout,
      /\{"user":"guest","tags":\["administrator"\]\}/,
    )
  })

  test('list_users takes no columns', async () => {
    const r = await w.ctl('list_users', 'user')
    assert.equal(r.code, 64)
    assert.match(r.stderr, /too many arguments/)
  })

  test('list_vhosts: name by default; other columns on request', async () => {
    const r = await w.ctl('list_vhosts')
    assert.deepEqual(lines(r.stdout).slice(0, 2), ['Listing vhosts ...', 'name'])
    assert.ok(lines(r.stdout).includes(vhost))
    const cols = await w.ctl(
      '-s',
      'list_vhosts',
      'name',
      'tracing',
      'description',
      'tags',
      'default_queue_type',
      'cluster_state',
    )
    const row = /^\/\tfalse\tDefault virtual host\t\[\]\tundefined\t\[\{warren@[^,]+, running\}\]$/
    assert.ok(
      lines(cols.stdout).some((l) => row.test(l)),
      cols.stdout,
    )
  })

  test('list_permissions: quoted vhost in the banner, user configure write read', async () => {
    const r = await w.ctl('list_permissions', '-p', vhost)
    assert.equal(
      r.stdout,
      `Listing permissions for vhost "${vhost}" ...\nuser\tconfigure\twrite\tread\nguest\t.*\t.*\t.*\n`,
    )
    const json = await w.ctl('list_permissions', '-p', vhost, '--formatter', 'json')
    assert.equal(json.stdout, '[\n{"user":"guest","configure":".*","write":".*","read":".*"}\n]\n')
  })

  test('list_permissions of an unknown vhost', async () => {
    const r = await w.ctl('list_permissions', '-p', 'no-such-vhost')
    assert.equal(r.code, 65)
    assert.equal(r.stderr, "Virtual host 'no-such-vhost' does not exist\n")
  })

  test('list_policies with none: the banner and an empty line (JSON: [])', async () => {
    const r = await w.ctl('list_policies', '-p', vhost)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `Listing policies for vhost "${vhost}" ...\n\n`)
    assert.equal((await w.ctl('list_policies', '-p', vhost, '--formatter', 'json')).stdout, '[]\n')
  })

  test('list_policies of an unknown vhost', async () => {
    const r = await w.ctl('list_policies', '-p', 'no-such-vhost')
    assert.equal(r.code, 65)
    assert.equal(r.stderr, "Virtual host 'no-such-vhost' does not exist\n")
  })
})
