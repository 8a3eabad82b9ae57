// Cluster coordination on a real etcd (issue 12, step 1): one leader among three nodes, a fast handover
// when the leader leaves, a leader cut off from etcd (through a loopback proxy that the test cuts) that
// stops leading before its lease can expire, and the in-sync set fenced by the leader's epoch.
import assert from 'node:assert/strict'
import { createServer, type Server, type Socket, connect } from 'node:net'
import { after, before, test } from 'node:test'
import { Coordinator, EtcdGateway } from '../../src/cluster/index.js'
import { type RunningEtcd, startEtcd } from '../helpers/etcd.js'

let etcd: RunningEtcd
before(async () => {
  etcd = await startEtcd()
})
after(async () => {
  await etcd?.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(cond: () => boolean, ms: number, what: string): Promise<number> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`${what} not within ${ms} ms`)
    await sleep(20)
  }
  return Date.now() - start
}

interface Node {
  c: Coordinator
  events: string[]
}

function node(cluster: string, name: string, url = etcd.url, probe?: () => Promise<void>): Node {
  const events: string[] = []
  const c = new Coordinator({
    ...(probe ? { probe } : {}),
    etcd: new EtcdGateway([url], 400),
    cluster,
    node: name,
    address: `127.0.0.1:${name}`,
    leaseTtl: 2,
    onLeader: (epoch) => events.push(`leader ${epoch}`),
    onFollower: (leader) => events.push(`follower ${leader ?? '-'}`),
    onStepDown: (reason) => events.push(`step-down ${reason}`),
  })
  return { c, events }
}

/** A TCP proxy to etcd that the test can cut, as a network partition between one node and etcd. */
async function proxy(target: string): Promise<{ url: string; cut(): void; server: Server }> {
  const { hostname, port } = new URL(target)
  const sockets = new Set<Socket>()
  let cut = false
  const server = createServer((down) => {
    if (cut) {
      down.destroy()
      return
    }
    const up = connect(Number(port), hostname)
    for (const s of [down, up]) {
      sockets.add(s)
      s.on('error', () => undefined)
      s.on('close', () => sockets.delete(s))
    }
    down.pipe(up).pipe(down)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    server,
    cut: () => {
      cut = true
      for (const s of sockets) s.destroy()
    },
  }
}

test('three nodes: one leader, the others follow it, all three are members', async () => {
  const nodes = ['a', 'b', 'c'].map((n) => node('three', n))
  for (const n of nodes) await n.c.start()
  const leaders = nodes.filter((n) => n.c.role === 'leader')
  assert.equal(leaders.length, 1)
  const leader = leaders[0] as Node
  for (const n of nodes) assert.equal(n.c.leader, 'a')
  assert.equal(leader.c.leader, 'a', 'the first to start wins')
  assert.ok(leader.c.epoch > 0)
  assert.deepEqual((await nodes[1]!.c.members()).map((m) => m.name).sort(), ['a', 'b', 'c'])
  for (const n of nodes) await n.c.stop()
})

test('a leader that leaves hands over at once; the new epoch is higher', async () => {
  const [a, b, c] = ['a', 'b', 'c'].map((n) => node('handover', n)) as [Node, Node, Node]
  for (const n of [a, b, c]) await n.c.start()
  const oldEpoch = a.c.epoch
  await a.c.stop()
  assert.deepEqual(a.events.at(-1), 'step-down stopping')
  const took = await until(() => b.c.role === 'leader' || c.c.role === 'leader', 3000, 'a new leader')
  assert.ok(took < 1500, `handover took ${took} ms`)
  const next = b.c.role === 'leader' ? b : c
  assert.ok(next.c.epoch > oldEpoch)
  const other = next === b ? c : b
  await until(() => other.c.leader === next.c.leader, 2000, 'the other node following the new leader')
  for (const n of [b, c]) await n.c.stop()
})

test('a leader cut off from etcd stops leading before its lease expires; another takes over after', async () => {
  const p = await proxy(etcd.url)
  const a = node('cut', 'a', p.url)
  const b = node('cut', 'b')
  await a.c.start()
  await b.c.start()
  assert.equal(a.c.role, 'leader')
  const cutAt = Date.now()
  p.cut()
  let steppedDownAt = 0
  let tookOverAt = 0
  await until(
    () => {
      if (!steppedDownAt && a.c.role !== 'leader') steppedDownAt = Date.now()
      if (!tookOverAt && b.c.role === 'leader') tookOverAt = Date.now()
      return steppedDownAt > 0 && tookOverAt > 0
    },
    8000,
    'step-down and takeover',
  )
  assert.ok(steppedDownAt < tookOverAt, 'the old leader stopped before the new one started')
  assert.ok(
    steppedDownAt - cutAt < 2000,
    `stepped down ${steppedDownAt - cutAt} ms after the cut (lease 2 s)`,
  )
  assert.match(a.events.find((e) => e.startsWith('step-down')) ?? '', /lease not renewed/)
  assert.equal(a.c.leadingNow, false)
  await b.c.stop()
  await a.c.stop()
  p.server.close()
})

test('a leader whose disk probe stalls gives up its lease: no zombie leader', async () => {
  let stalled = false
  const a = node('zombie', 'a', etcd.url, () =>
    stalled ? new Promise<void>(() => undefined) : Promise.resolve(),
  )
  const b = node('zombie', 'b')
  await a.c.start()
  await b.c.start()
  assert.equal(a.c.role, 'leader')
  assert.equal(a.c.leadingNow, true)
  stalled = true
  await until(() => b.c.role === 'leader', 8000, 'b taking over from a stalled leader')
  assert.ok(a.events.some((e) => e.startsWith('step-down')))
  await sleep(2500) // past another lease: a, still stalled, must not have taken the lead back
  assert.equal(b.c.role, 'leader')
  assert.notEqual(a.c.role, 'leader')
  await b.c.stop()
  await a.c.stop()
})

test('the in-sync set is written only by the leader of its epoch, and only in-sync nodes campaign', async () => {
  const a = node('fence', 'a')
  const b = node('fence', 'b')
  const c = node('fence', 'c')
  for (const n of [a, b, c]) await n.c.start()
  assert.equal(await a.c.setInSync(['a', 'b']), true)
  assert.equal(await b.c.setInSync(['b']), false, 'a follower cannot write it')
  assert.deepEqual(await c.c.inSync(), { epoch: a.c.epoch, nodes: ['a', 'b'] })
  // c is not in sync: when a leaves, b (in sync) leads, never c.
  await a.c.stop()
  await until(() => b.c.role === 'leader', 3000, 'b leading')
  await sleep(300)
  assert.equal(c.c.role, 'follower')
  for (const n of [b, c]) await n.c.stop()
})
