// RabbitMQ's own management CLI, rabbitmqadmin, driven against Warren's HTTP API: declare, list, publish,
// get, purge, close, export/import and delete, with its raw_json and table output read back. The script is
// RabbitMQ's code (MPL 2.0) and is not part of this repository: set WARREN_RABBITMQADMIN to a copy (any
// RabbitMQ 3.10 node serves it at /cli/rabbitmqadmin) and have python3 on PATH; otherwise the file is
// skipped. See docs/management.md, "rabbitmqadmin". With WARREN_TEST_HTTP_URL and WARREN_TEST_URL set, the
// same checks run against that broker (the reference RabbitMQ) instead.
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { type AnyJson, amqp, eventually, seg, unique, useManagement } from './helpers.js'

const SCRIPT = process.env['WARREN_RABBITMQADMIN']
const PYTHON = process.env['WARREN_PYTHON'] ?? 'python3'

function whyNot(): string | undefined {
  if (!SCRIPT)
    return 'WARREN_RABBITMQADMIN is not set: point it at a rabbitmqadmin script (e.g. curl -u guest:guest http://<rabbitmq>:15672/cli/rabbitmqadmin -o rabbitmqadmin)'
  if (!existsSync(SCRIPT)) return `WARREN_RABBITMQADMIN=${SCRIPT}: no such file`
  const py = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' })
  if (py.status !== 0) return `rabbitmqadmin needs ${PYTHON} (set WARREN_PYTHON), which did not run`
  return undefined
}

const skipReason = whyNot()
if (skipReason !== undefined) {
  test('rabbitmqadmin against Warren', (t) => {
    t.skip(skipReason)
  })
} else {
  suite(SCRIPT as string)
}

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** RabbitMQ's password hash: base64(salt ++ sha256(salt ++ password)) with a 4-byte salt. */
function sha256Hash(password: string): string {
  const salt = randomBytes(4)
  const digest = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from(password)]))
    .digest()
  return Buffer.concat([salt, digest]).toString('base64')
}

function suite(script: string): void {
  const m = useManagement()
  const vhost = unique('radm')
  const user = unique('radm-user')
  const hashedUser = unique('radm-hashed')
  const importedVhost = unique('radm-imported')
  const importedUser = unique('radm-imported-user')
  const dir = mkdtempSync(join(tmpdir(), 'warren-rabbitmqadmin-'))
  m.setup(
    async () => {},
    async () => {
      for (const u of [user, hashedUser, importedUser]) await m.api('DELETE', `/api/users/${seg(u)}`)
      for (const v of [vhost, importedVhost]) await m.api('DELETE', `/api/vhosts/${seg(v)}`)
      rmSync(dir, { recursive: true, force: true })
    },
  )

  /** Runs rabbitmqadmin against the broker's HTTP port as guest (or `as`), in `vh` when given. */
  function admin(args: string[], o: { vh?: string; as?: [string, string] } = {}): Promise<Run> {
    const url = new URL(m.httpUrl)
    const [u, p] = o.as ?? ['guest', 'guest']
    const argv = [script, '-H', url.hostname, '-P', url.port || '80', '-u', u, '-p', p]
    if (o.vh !== undefined) argv.push('-V', o.vh)
    return new Promise((resolve) => {
      execFile(PYTHON, [...argv, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({ code, stdout, stderr })
      })
    })
  }
  /** Runs a command that must succeed and returns its stdout. */
  async function ok(args: string[], o: { vh?: string; as?: [string, string] } = {}): Promise<string> {
    const r = await admin(args, o)
    assert.equal(r.code, 0, `rabbitmqadmin ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`)
    return r.stdout
  }
  /** `list <what>` as raw_json. */
  async function list(
    what: string,
    cols: string[] = [],
    vh?: string,
  ): Promise<Array<Record<string, AnyJson>>> {
    return JSON.parse(await ok(['-f', 'raw_json', 'list', what, ...cols], vh === undefined ? {} : { vh }))
  }
  /** A command that must fail with rabbitmqadmin's `*** <message>` on stderr. */
  async function fails(
    args: string[],
    message: string | RegExp,
    o: { vh?: string; as?: [string, string] } = {},
  ) {
    const r = await admin(args, o)
    assert.equal(r.code, 1, `rabbitmqadmin ${args.join(' ')} should fail: ${r.stdout}`)
    if (typeof message === 'string') assert.equal(r.stderr.trim(), `*** ${message}`)
    else assert.match(r.stderr, message)
  }
  const messagesIn = async (queue: string): Promise<number | undefined> =>
    (await list('queues', ['name', 'messages'], vhost)).find((q) => q['name'] === queue)?.['messages']

  describe('rabbitmqadmin', () => {
    test('declare and list vhosts, users (password and password_hash) and permissions', async () => {
      assert.equal(await ok(['declare', 'vhost', `name=${vhost}`]), 'vhost declared\n')
      assert.equal(
        await ok(['declare', 'user', `name=${user}`, 'password=s3cret', 'tags=monitoring,policymaker']),
        'user declared\n',
      )
      await ok([
        'declare',
        'user',
        `name=${hashedUser}`,
        `password_hash=${sha256Hash('hashed-pw')}`,
        'hashing_algorithm=rabbit_password_hashing_sha256',
        'tags=management',
      ])
      assert.equal(
        await ok([
          'declare',
          'permission',
          `vhost=${vhost}`,
          `user=${user}`,
          'configure=.*',
          'write=.*',
          'read=^q',
        ]),
        'permission declared\n',
      )
      assert.ok((await list('vhosts', ['name'])).some((v) => v['name'] === vhost))
      const users = await list('users', ['name', 'tags', 'hashing_algorithm'])
      assert.deepEqual(
        users.find((u) => u['name'] === user),
        {
          name: user,
          tags: ['monitoring', 'policymaker'],
          hashing_algorithm: 'rabbit_password_hashing_sha256',
        },
      )
      assert.deepEqual(users.find((u) => u['name'] === hashedUser)?.['tags'], ['management'])
      const perms = await list('permissions', ['vhost', 'user', 'configure', 'write', 'read'])
      assert.deepEqual(
        perms.find((p) => p['vhost'] === vhost && p['user'] === user),
        { vhost, user, configure: '.*', write: '.*', read: '^q' },
      )
      // guest created the vhost, so it was granted full permissions on it, as in RabbitMQ
      assert.ok(perms.some((p) => p['vhost'] === vhost && p['user'] === 'guest'))
      const table = await ok(['list', 'users', 'name', 'tags'])
      assert.match(table, new RegExp(`\\| ${user} +\\| monitoring policymaker +\\|`))
      // both users log in: the hashed one to the HTTP API, the other over AMQP
      assert.ok((await list('vhosts', ['name'], undefined)).length > 0)
      await ok(['list', 'vhosts', 'name'], { as: [hashedUser, 'hashed-pw'] })
      await fails(['list', 'vhosts'], /^\*\*\* Access refused: \/api\/vhosts/, { as: [hashedUser, 'wrong'] })
      const conn = await amqp.connect(
        m.amqpUrl.replace('guest:guest@', `${user}:s3cret@`) + encodeURIComponent(vhost),
      )
      await conn.close()
    })

    test('declare and list exchanges, queues and bindings; errors as RabbitMQ words them', async () => {
      const vh = { vh: vhost }
      assert.equal(await ok(['declare', 'exchange', 'name=ex1', 'type=topic'], vh), 'exchange declared\n')
      await ok(['declare', 'exchange', 'name=ae', 'type=fanout'], vh)
      await ok(
        ['declare', 'exchange', 'name=ex2', 'type=direct', 'arguments={"alternate-exchange":"ae"}'],
        vh,
      )
      await ok(['declare', 'exchange', 'name=ex3', 'type=headers', 'auto_delete=true', 'internal=true'], vh)
      assert.equal(
        await ok(['declare', 'queue', 'name=q1', 'arguments={"x-max-length":10,"x-message-ttl":60000}'], vh),
        'queue declared\n',
      )
      await ok(['declare', 'queue', 'name=q2', 'durable=false', 'auto_delete=true'], vh)
      await ok(['declare', 'queue', 'name=q3', 'queue_type=classic'], vh)
      assert.equal(
        await ok(['declare', 'binding', 'source=ex1', 'destination=q1', 'routing_key=a.#'], vh),
        'binding declared\n',
      )
      await ok(
        ['declare', 'binding', 'source=ex1', 'destination=ex2', 'destination_type=exchange', 'routing_key=b'],
        vh,
      )
      await ok(
        ['declare', 'binding', 'source=ex1', 'destination=q2', 'routing_key=k', 'arguments={"x-k":1}'],
        vh,
      )
      await ok(['declare', 'binding', 'source=ae', 'destination=q3'], vh)

      const exchanges = await list(
        'exchanges',
        ['name', 'type', 'durable', 'auto_delete', 'internal', 'arguments'],
        vhost,
      )
      assert.deepEqual(
        exchanges
          .filter((e) => /^(ex\d|ae)$/.test(e['name']))
          .sort((a, b) => (a['name'] < b['name'] ? -1 : 1)),
        [
          { name: 'ae', type: 'fanout', durable: true, auto_delete: false, internal: false, arguments: {} },
          { name: 'ex1', type: 'topic', durable: true, auto_delete: false, internal: false, arguments: {} },
          {
            name: 'ex2',
            type: 'direct',
            durable: true,
            auto_delete: false,
            internal: false,
            arguments: { 'alternate-exchange': 'ae' },
          },
          { name: 'ex3', type: 'headers', durable: true, auto_delete: true, internal: true, arguments: {} },
        ],
      )
      assert.ok(exchanges.some((e) => e['name'] === 'amq.topic'))
      const queues = await list('queues', ['name', 'durable', 'auto_delete', 'arguments'], vhost)
      assert.deepEqual(queues, [
        {
          name: 'q1',
          durable: true,
          auto_delete: false,
          arguments: { 'x-max-length': 10, 'x-message-ttl': 60000 },
        },
        { name: 'q2', durable: false, auto_delete: true, arguments: {} },
        { name: 'q3', durable: true, auto_delete: false, arguments: { 'x-queue-type': 'classic' } },
      ])
      const bindings = await list(
        'bindings',
        ['source', 'destination', 'destination_type', 'routing_key', 'arguments'],
        vhost,
      )
      const key = (b: Record<string, AnyJson>): string =>
        `${b['source']}>${b['destination_type']}:${b['destination']}:${b['routing_key']}:${JSON.stringify(b['arguments'])}`
      assert.deepEqual(bindings.map(key).sort(), [
        '>queue:q1:q1:{}',
        '>queue:q2:q2:{}',
        '>queue:q3:q3:{}',
        'ae>queue:q3::{}',
        'ex1>exchange:ex2:b:{}',
        'ex1>queue:q1:a.#:{}',
        'ex1>queue:q2:k:{"x-k":1}',
      ])
      // the default table format
      const table = await ok(['list', 'queues', 'name', 'durable', 'auto_delete'], vh)
      assert.match(table, /^\| +name +\| durable \| auto_delete \|$/m)
      assert.match(table, /^\| q2 +\| False +\| True +\|$/m)
      const tsv = await ok(['-f', 'tsv', 'list', 'exchanges', 'name', 'type'], vh)
      assert.match(tsv, /^ex2\tdirect$/m)

      await fails(
        ['declare', 'queue', 'name=q1', 'durable=false'],
        `inequivalent arg 'durable' for queue 'q1' in vhost '${vhost}': received 'false' but current is 'true'`,
        vh,
      )
      // RabbitMQ 3.10 says "unknown exchange type"; the exchange type is named either way
      await fails(
        ['declare', 'exchange', 'name=bad', 'type=nosuchtype'],
        /^\*\*\* \w+ exchange type 'nosuchtype'/,
        vh,
      )
      await fails(
        ['declare', 'policy', 'name=p', 'pattern=.', 'definition={}'],
        `Not found: /api/policies/${seg(vhost)}-missing/p`,
        { vh: `${vhost}-missing` },
      )
    })

    test('declare and list policies; a max-length policy applies to its queue', async () => {
      assert.equal(
        await ok(
          [
            'declare',
            'policy',
            'name=limit',
            'pattern=^q1$',
            'definition={"max-length":2}',
            'apply-to=queues',
            'priority=1',
          ],
          { vh: vhost },
        ),
        'policy declared\n',
      )
      const policies = await list('policies')
      assert.deepEqual(
        policies.find((p) => p['vhost'] === vhost && p['name'] === 'limit'),
        {
          vhost,
          name: 'limit',
          pattern: '^q1$',
          'apply-to': 'queues',
          definition: { 'max-length': 2 },
          priority: 1,
        },
      )
      for (let i = 0; i < 4; i++)
        await ok(['publish', 'exchange=amq.default', 'routing_key=q1', `payload=m${i}`], { vh: vhost })
      await eventually(async () => (await messagesIn('q1')) === 2)
      await ok(['purge', 'queue', 'name=q1'], { vh: vhost })
    })

    test('list queues shows the policy that applies', async () => {
      const queues = await list('queues', ['name', 'policy', 'effective_policy_definition'], vhost)
      assert.deepEqual(
        queues.find((q) => q['name'] === 'q1'),
        { name: 'q1', policy: 'limit', effective_policy_definition: { 'max-length': 2 } },
      )
    })

    test('publish, get (ackmodes, encodings, properties), purge', async () => {
      const vh = { vh: vhost }
      assert.equal(
        await ok(
          [
            'publish',
            'exchange=amq.default',
            'routing_key=q3',
            'payload=hello',
            'properties={"content_type":"text/plain","delivery_mode":2,"headers":{"h":1}}',
          ],
          vh,
        ),
        'Message published\n',
      )
      assert.equal(
        await ok(
          ['publish', 'exchange=ex2', 'routing_key=nowhere', 'payload=aGk=', 'payload_encoding=base64'],
          vh,
        ),
        'Message published\n', // routed by ex2's alternate exchange ae to q3
      )
      assert.equal(
        await ok(['publish', 'exchange=ex1', 'routing_key=nowhere', 'payload=x'], vh),
        'Message published but NOT routed\n',
      )
      await fails(
        ['publish', 'exchange=nosuchx', 'routing_key=k', 'payload=x'],
        `404 NOT_FOUND - no exchange 'nosuchx' in vhost '${vhost}'`,
        vh,
      )
      await eventually(async () => (await messagesIn('q3')) === 2)
      const got = JSON.parse(
        await ok(['-f', 'raw_json', 'get', 'queue=q3', 'count=5', 'ackmode=ack_requeue_true'], vh),
      ) as Array<Record<string, AnyJson>>
      assert.equal(got.length, 2)
      assert.deepEqual(got[0], {
        payload_bytes: 5,
        redelivered: false,
        exchange: '',
        routing_key: 'q3',
        message_count: 1,
        properties: { content_type: 'text/plain', delivery_mode: 2, headers: { h: 1 } },
        payload: 'hello',
        payload_encoding: 'string',
      })
      assert.equal(got[1]?.['exchange'], 'ex2')
      assert.equal(got[1]?.['payload'], 'hi')
      const b64 = JSON.parse(
        await ok(['-f', 'raw_json', 'get', 'queue=q3', 'ackmode=ack_requeue_true', 'encoding=base64'], vh),
      ) as Array<Record<string, AnyJson>>
      assert.equal(b64[0]?.['payload'], Buffer.from('hello').toString('base64'))
      assert.equal(b64[0]?.['payload_encoding'], 'base64')
      assert.equal(b64[0]?.['redelivered'], true)
      const table = await ok(['get', 'queue=q3', 'ackmode=ack_requeue_false'], vh)
      assert.match(
        table,
        /^\| routing_key \| exchange \| message_count \| payload \| payload_bytes \| payload_encoding \| redelivered \|$/m,
      )
      assert.match(table, /^\| q3 +\| +\| 1 +\| hello +\| 5 +\| string +\| True +\|$/m)
      await eventually(async () => (await messagesIn('q3')) === 1)
      assert.equal(await ok(['purge', 'queue', 'name=q3'], vh), 'queue purged\n')
      await eventually(async () => (await messagesIn('q3')) === 0)
      await fails(['get', 'queue=nosuchq'], `Not found: /api/queues/${seg(vhost)}/nosuchq/get`, vh)
      await fails(
        ['purge', 'queue', 'name=nosuchq'],
        `Not found: /api/queues/${seg(vhost)}/nosuchq/contents`,
        vh,
      )
    })

    test('list connections, channels and consumers; close connection', async () => {
      const name = unique('radm-conn')
      const conn = await m.connect(vhost, { connection_name: name })
      const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve))
      const ch = await conn.createChannel()
      await ch.prefetch(3)
      await ch.consume('q3', () => {}, { consumerTag: `${name}-ctag` })
      let c: Record<string, AnyJson> | undefined
      await eventually(async () => {
        const all = await list('connections', [
          'name',
          'user',
          'vhost',
          'state',
          'channels',
          'client_properties',
        ])
        c = all.find((x) => x['client_properties']?.['connection_name'] === name)
        return c?.['state'] === 'running' && c['channels'] === 1
      })
      assert.equal(c?.['user'], 'guest')
      assert.equal(c?.['vhost'], vhost)
      const channels = await list('channels', [
        'name',
        'connection_details',
        'number',
        'consumer_count',
        'prefetch_count',
      ])
      const chan = channels.find((x) => x['connection_details']?.['name'] === c?.['name'])
      assert.equal(chan?.['number'], 1)
      assert.equal(chan?.['consumer_count'], 1)
      assert.equal(chan?.['prefetch_count'], 3)
      const consumers = await list('consumers', [], vhost)
      const consumer = consumers.find((x) => x['consumer_tag'] === `${name}-ctag`)
      assert.equal(consumer?.['queue']?.['name'], 'q3')
      assert.equal(consumer?.['ack_required'], true)
      assert.equal(await ok(['close', 'connection', `name=${c?.['name']}`]), 'connection closed\n')
      const err = (await closed) as (Error & { code?: number }) | undefined
      assert.equal(err?.code, 320)
      await fails(['close', 'connection', 'name=nosuchconn'], 'Not found: /api/connections/nosuchconn')
    })

    test('show overview and list nodes', async () => {
      const overview = JSON.parse(await ok(['-f', 'raw_json', 'show', 'overview'])) as Array<
        Record<string, AnyJson>
      >
      assert.match(overview[0]?.['rabbitmq_version'], /^3\./)
      assert.equal(typeof overview[0]?.['object_totals']?.['queues'], 'number')
      const nodes = await list('nodes', ['name', 'type', 'running'])
      assert.deepEqual(Object.keys(nodes[0] ?? {}), ['name', 'type', 'running'])
      assert.equal(nodes[0]?.['running'], true)
    })

    test('export and import definitions, for a vhost and for the whole broker', async () => {
      const vh = { vh: vhost }
      const file = join(dir, 'vhost.json')
      assert.match(await ok(['export', file], vh), /^Exported definitions for /)
      const defs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Array<Record<string, AnyJson>>>
      assert.deepEqual(defs['queues']?.map((q) => q['name']).sort(), ['q1', 'q2', 'q3'])
      assert.deepEqual(defs['exchanges']?.map((e) => e['name']).sort(), ['ae', 'ex1', 'ex2', 'ex3'])
      assert.equal(defs['bindings']?.length, 4)
      assert.deepEqual(
        defs['policies']?.map((p) => p['name']),
        ['limit'],
      )

      await ok(['delete', 'queue', 'name=q2'], vh)
      await ok(['delete', 'exchange', 'name=ex2'], vh)
      assert.match(await ok(['import', file], vh), /^Uploaded definitions from /)
      assert.deepEqual(
        (await list('queues', ['name'], vhost)).map((q) => q['name']),
        ['q1', 'q2', 'q3'],
      )
      const bindings = await list('bindings', ['source', 'destination'], vhost)
      assert.ok(bindings.some((b) => b['source'] === 'ex1' && b['destination'] === 'ex2'))
      assert.ok(bindings.some((b) => b['source'] === 'ex1' && b['destination'] === 'q2'))

      const all = join(dir, 'all.json')
      await ok(['export', all])
      const everything = JSON.parse(readFileSync(all, 'utf8')) as Record<
        string,
        Array<Record<string, AnyJson>>
      >
      assert.ok(everything['vhosts']?.some((v) => v['name'] === vhost))
      assert.ok(everything['users']?.some((u) => u['name'] === user))
      assert.ok(everything['queues']?.some((q) => q['vhost'] === vhost && q['name'] === 'q1'))

      const imported = join(dir, 'import.json')
      writeFileSync(
        imported,
        JSON.stringify({
          vhosts: [{ name: importedVhost }],
          users: [
            {
              name: importedUser,
              password_hash: sha256Hash('imported-pw'),
              hashing_algorithm: 'rabbit_password_hashing_sha256',
              tags: 'management',
            },
          ],
          permissions: [
            { user: importedUser, vhost: importedVhost, configure: '.*', write: '.*', read: '.*' },
          ],
          queues: [{ name: 'iq', vhost: importedVhost, durable: true, auto_delete: false, arguments: {} }],
          exchanges: [
            {
              name: 'ix',
              vhost: importedVhost,
              type: 'topic',
              durable: true,
              auto_delete: false,
              internal: false,
              arguments: {},
            },
          ],
          bindings: [
            {
              source: 'ix',
              vhost: importedVhost,
              destination: 'iq',
              destination_type: 'queue',
              routing_key: '#',
              arguments: {},
            },
          ],
        }),
      )
      await ok(['import', imported])
      const asImported = { vh: importedVhost, as: [importedUser, 'imported-pw'] as [string, string] }
      assert.match(await ok(['list', 'queues', 'name'], asImported), /\| iq +\|/)
      await ok(['publish', 'exchange=ix', 'routing_key=a.b', 'payload=p'], asImported)
      await eventually(async () => {
        const q = JSON.parse(await ok(['-f', 'raw_json', 'list', 'queues', 'name', 'messages'], asImported))
        return q[0]?.messages === 1
      })
    })

    test('delete bindings, policies, queues, exchanges, permissions, users and vhosts', async () => {
      const vh = { vh: vhost }
      assert.equal(
        await ok(
          [
            'delete',
            'binding',
            'source=ex1',
            'destination_type=queue',
            'destination=q1',
            'properties_key=a.#',
          ],
          vh,
        ),
        'binding deleted\n',
      )
      await ok(
        [
          'delete',
          'binding',
          'source=ex1',
          'destination_type=exchange',
          'destination=ex2',
          'properties_key=b',
        ],
        vh,
      )
      await fails(
        ['delete', 'binding', 'source=ex1', 'destination_type=queue', 'destination=q2', 'properties_key=k'],
        `Not found: /api/bindings/${seg(vhost)}/e/ex1/q/q2/k`,
        vh,
      )
      const left = await list('bindings', ['source', 'destination'], vhost)
      assert.deepEqual(
        left.filter((b) => b['source'] === 'ex1').map((b) => b['destination']),
        ['q2'],
      )
      assert.equal(await ok(['delete', 'policy', 'name=limit'], vh), 'policy deleted\n')
      await fails(['delete', 'policy', 'name=limit'], `Not found: /api/policies/${seg(vhost)}/limit`, vh)
      assert.equal(await ok(['delete', 'queue', 'name=q1'], vh), 'queue deleted\n')
      await fails(['delete', 'queue', 'name=q1'], `Not found: /api/queues/${seg(vhost)}/q1`, vh)
      assert.equal(await ok(['delete', 'exchange', 'name=ex1'], vh), 'exchange deleted\n')
      await fails(['delete', 'exchange', 'name=ex1'], `Not found: /api/exchanges/${seg(vhost)}/ex1`, vh)
      assert.equal(
        await ok(['delete', 'permission', `vhost=${vhost}`, `user=${user}`]),
        'permission deleted\n',
      )
      await fails(
        ['delete', 'permission', `vhost=${vhost}`, `user=${user}`],
        `Not found: /api/permissions/${seg(vhost)}/${seg(user)}`,
      )
      for (const u of [user, hashedUser, importedUser])
        assert.equal(await ok(['delete', 'user', `name=${u}`]), 'user deleted\n')
      await fails(['delete', 'user', `name=${user}`], `Not found: /api/users/${seg(user)}`)
      for (const v of [vhost, importedVhost])
        assert.equal(await ok(['delete', 'vhost', `name=${v}`]), 'vhost deleted\n')
      await fails(['delete', 'vhost', `name=${vhost}`], `Not found: /api/vhosts/${seg(vhost)}`)
      const vhosts = await list('vhosts', ['name'])
      assert.ok(!vhosts.some((v) => v['name'] === vhost || v['name'] === importedVhost))
    })
  })
}
