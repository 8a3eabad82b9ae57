// Every management endpoint against RabbitMQ 3.10's user-tag rules: the table in tag-rules-table.ts, run
// for a caller without credentials and for one user of each tag. Run it against the reference RabbitMQ
// with WARREN_TEST_HTTP_URL and WARREN_TEST_URL (see helpers.ts) to check the table itself.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { type Call, CHANGES, READS, type Rule, WHO, type Who } from './tag-rules-table.js'
import { amqp, type AnyJson, eventually, scratchVhost, seg, unique, useManagement } from './helpers.js'

const m = useManagement()
const vhostA = scratchVhost(m, 'tagrule-a')
const vhostB = scratchVhost(m, 'tagrule-b')

interface Account {
  readonly name: string
  readonly password: string
}
type Tagged = Exclude<Who, 'anonymous'>

const password = randomBytes(6).toString('hex')
const accounts = new Map<Tagged | 'owner' | 'subject', Account>()
for (const who of [...WHO.filter((w): w is Tagged => w !== 'anonymous'), 'owner', 'subject'] as const) {
  accounts.set(who, { name: unique(`tagrule-${who}`), password })
}
const account = (who: Tagged | 'owner' | 'subject'): Account => accounts.get(who) as Account
const TAGS: Record<Tagged | 'owner' | 'subject', string> = {
  none: '',
  management: 'management',
  policymaker: 'policymaker',
  monitoring: 'monitoring',
  administrator: 'administrator',
  owner: 'management',
  subject: '',
}

/** Template values: names of the fixtures, and the caller's own connection and channel. */
const names = { node: '', port: '', new: unique('tagrule-new') }
const connectionOf = new Map<string, { connection: string; channel: string }>()
const open: amqp.ChannelModel[] = []

m.setup(
  async () => {
    for (const [who, a] of accounts) {
      await guest('PUT', `/api/users/${seg(a.name)}`, { password: a.password, tags: TAGS[who] })
      if (who !== 'subject') await guest('PUT', `/api/permissions/${seg(vhostA.name)}/${seg(a.name)}`, FULL)
    }
    for (const v of [vhostA.name, vhostB.name]) await createObjects(v)
    await guest('PUT', `/api/operator-policies/${seg(vhostA.name)}/op`, { pattern: '^none$', definition: ML })
    names.node = ((await m.api('GET', '/api/overview')).json as AnyJson).node as string
    names.port = new URL(m.amqpUrl).port || '5672'
    await openConnections()
  },
  async () => {
    await Promise.all(open.map((c) => c.close().catch(() => {})))
    for (const a of accounts.values()) await m.api('DELETE', `/api/users/${seg(a.name)}`)
    await m.api('DELETE', `/api/users/${seg(names.new)}`)
    await m.api('DELETE', `/api/vhosts/${seg(names.new)}`)
  },
)

const FULL = { configure: '.*', write: '.*', read: '.*' }
const ML = { 'max-length': 100 }

async function guest(method: string, path: string, body?: unknown): Promise<void> {
  const r = await m.api(method, path, body === undefined ? {} : { body })
  if (r.status >= 400 && method !== 'DELETE') throw new Error(`${method} ${path}: ${r.status} ${r.text}`)
}

/** Queue q, exchanges x and x2, bindings x→q (k) and x→x2, policy p. */
async function createObjects(vhost: string): Promise<void> {
  const v = seg(vhost)
  await guest('PUT', `/api/queues/${v}/q`, { durable: false })
  await guest('PUT', `/api/exchanges/${v}/x`, { type: 'direct' })
  await guest('PUT', `/api/exchanges/${v}/x2`, { type: 'direct' })
  await guest('POST', `/api/bindings/${v}/e/x/q/q`, { routing_key: 'k' })
  await guest('POST', `/api/bindings/${v}/e/x/e/x2`, { routing_key: 'k' })
  await guest('PUT', `/api/policies/${v}/p`, { pattern: '^none$', definition: ML })
}

/** One AMQP connection with one channel per user (but anonymous), to vhost A; RabbitMQ lists them late. */
async function openConnections(): Promise<void> {
  const base = new URL(m.amqpUrl)
  for (const [who, a] of accounts) {
    if (who === 'subject') continue
    const url = new URL(base.href)
    url.username = encodeURIComponent(a.name)
    url.password = encodeURIComponent(a.password)
    url.pathname = '/' + encodeURIComponent(vhostA.name)
    const conn = await amqp.connect(url.href)
    conn.on('error', () => {})
    const ch = await conn.createChannel()
    if (who === 'owner') await ch.consume('q', () => {}, { noAck: true })
    open.push(conn)
  }
  await eventually(async () => {
    const conns = (await m.api('GET', '/api/connections')).json as AnyJson[]
    const chans = (await m.api('GET', '/api/channels')).json as AnyJson[]
    for (const a of accounts.values()) {
      const c = conns.find((x) => x.user === a.name)
      const ch = chans.find((x) => x.user === a.name)
      if (c && ch) connectionOf.set(a.name, { connection: c.name, channel: ch.name })
    }
    return connectionOf.size === accounts.size - 1
  })
}

function expand(template: string, who: Who): string {
  const self = who === 'anonymous' ? account('owner') : account(who)
  const own = connectionOf.get(self.name)
  const other = connectionOf.get(account('owner').name)
  const values: Record<string, string> = {
    A: vhostA.name,
    B: vhostB.name,
    subject: account('subject').name,
    owner: account('owner').name,
    own: own?.connection ?? '',
    ownCh: own?.channel ?? '',
    other: other?.connection ?? '',
    otherCh: other?.channel ?? '',
    ...names,
  }
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = values[k]
    if (v === undefined) throw new Error(`no value for {${k}}`)
    return template.startsWith('/') ? seg(v) : v
  })
}

function expandBody(body: unknown, who: Who): unknown {
  return body === undefined ? undefined : JSON.parse(expand(JSON.stringify(body), who))
}

async function resetFor(calls: readonly Call[] | undefined, who: Who): Promise<void> {
  for (const [method, path, body] of calls ?? []) {
    await m.api(method, expand(path, who), body === undefined ? {} : { body })
  }
}

async function statuses(rule: Rule): Promise<string> {
  const got: number[] = []
  for (const who of WHO) {
    await resetFor(rule.reset, who)
    const user = who === 'anonymous' ? null : ([account(who).name, account(who).password] as const)
    const body = expandBody(rule.body, who)
    const r = await m.api(rule.method, expand(rule.path, who), {
      user,
      ...(body === undefined ? {} : { body }),
    })
    got.push(r.status)
  }
  return got.join(' ')
}

/** The `field` values of a list endpoint's items, as `who` sees them. */
async function listed(who: Tagged, path: string, field = 'name'): Promise<unknown[]> {
  const a = account(who)
  const r = await m.api('GET', path, { user: [a.name, a.password] })
  assert.equal(r.status, 200, `${who} ${path}`)
  return (r.json as AnyJson[]).map((i) => (field === 'vhost/name' ? `${i.vhost}/${i.name}` : i[field]))
}

describe('what lists show each caller (RabbitMQ 3.10)', () => {
  const inA = (): string => `${vhostA.name}/q`
  const inB = (): string => `${vhostB.name}/q`

  test('vhosts: monitors and administrators see all; others those they hold permissions in', async () => {
    for (const who of ['monitoring', 'administrator'] as const) {
      assert.ok((await listed(who, '/api/vhosts')).includes(vhostB.name), who)
    }
    for (const who of ['management', 'policymaker'] as const) {
      const vhosts = await listed(who, '/api/vhosts')
      assert.ok(vhosts.includes(vhostA.name) && !vhosts.includes(vhostB.name), who)
    }
  })

  test('queues, exchanges, bindings, policies: only administrators see vhosts without permissions', async () => {
    for (const [path, field] of [
      ['/api/queues', 'vhost/name'],
      ['/api/policies', 'vhost/name'],
    ] as const) {
      const seen = (await listed('administrator', path, field)).map(String)
      assert.ok(seen.includes(inB().replace('/q', path.endsWith('policies') ? '/p' : '/q')), path)
      for (const who of ['management', 'policymaker', 'monitoring'] as const) {
        const list = (await listed(who, path, field)).map(String)
        const [a, b] = path.endsWith('policies') ? [`${vhostA.name}/p`, `${vhostB.name}/p`] : [inA(), inB()]
        assert.ok(list.includes(a) && !list.includes(b), `${who} ${path}`)
      }
    }
    for (const path of ['/api/exchanges', '/api/bindings']) {
      assert.ok((await listed('administrator', path, 'vhost')).includes(vhostB.name), path)
      assert.ok(!(await listed('monitoring', path, 'vhost')).includes(vhostB.name), path)
    }
  })

  test("connections, channels, consumers: monitors see everyone's, others their own", async () => {
    const owner = account('owner').name
    await eventually(async () => (await listed('monitoring', '/api/consumers', 'queue')).length > 0)
    for (const path of ['/api/connections', '/api/channels']) {
      assert.ok((await listed('monitoring', path, 'user')).includes(owner), path)
      const mine = await listed('management', path, 'user')
      assert.deepEqual([...new Set(mine)], [account('management').name], path)
    }
    const consumers = async (who: Tagged): Promise<unknown[]> =>
      (await listed(who, '/api/consumers', 'channel_details')).map((d) => (d as AnyJson).user)
    assert.ok((await consumers('monitoring')).includes(owner))
    assert.deepEqual(await consumers('management'), [])
  })
})

// Last: its final rows close the connections the lists above read.
describe('management endpoints follow RabbitMQ 3.10 user-tag rules', () => {
  test(`columns: ${WHO.join(', ')}`, () => assert.equal(WHO.length, 6))
  for (const rule of [...READS, ...CHANGES]) {
    test(`${rule.method} ${rule.path}`, async () => {
      assert.equal(await statuses(rule), rule.expect)
    })
  }
})
