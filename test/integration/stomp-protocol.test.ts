// STOMP at the byte level (a raw TCP client): STOMP 1.0 and 1.1 frames, the STOMP command, version
// negotiation, heart-beats in both directions, ERROR frames with the receipt-id of the frame at fault, and
// malformed or random input closing only its own connection.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { eventually, useBroker } from '../helpers/broker.js'
import { rawConnected, RawStomp } from '../helpers/stomp.js'

const b = useBroker()
const port = (): number => b.broker.stompPort ?? 0

describe('STOMP versions', () => {
  test('STOMP 1.0 (no accept-version) and the STOMP command with 1.1; no common version is an ERROR', async () => {
    const v10 = await RawStomp.open(port())
    v10.frame('CONNECT', { login: 'guest', passcode: 'guest' })
    assert.equal((await v10.next('CONNECTED')).headers['version'], '1.0')
    v10.frame('SUBSCRIBE', { destination: '/queue/stomp-v10', ack: 'client' })
    v10.frame('SEND', { destination: '/queue/stomp-v10', 'x-h': 'a\\cb' }, 'ten')
    const m = await v10.next('MESSAGE')
    assert.equal(m.body, 'ten')
    assert.equal(
      m.headers['subscription'],
      '/queue/stomp-v10',
      'a 1.0 SUBSCRIBE without id is named by its destination',
    )
    assert.equal(m.headers['x-h'], 'a\\cb', '1.0 headers are not escaped')
    assert.equal(m.headers['ack'], undefined, 'the ack header is 1.2')
    v10.frame('ACK', { 'message-id': m.headers['message-id'] ?? '' })
    v10.frame('DISCONNECT', { receipt: 'bye' })
    assert.equal((await v10.next('RECEIPT')).headers['receipt-id'], 'bye')
    await v10.untilClosed()

    const v11 = await RawStomp.open(port())
    v11.frame('STOMP', { 'accept-version': '1.0,1.1', login: 'guest', passcode: 'guest', host: '/' })
    const connected = await v11.next('CONNECTED')
    assert.equal(connected.headers['version'], '1.1')
    assert.match(connected.headers['server'] ?? '', /^Warren\//)
    v11.close()

    const none = await RawStomp.open(port())
    none.frame('CONNECT', { 'accept-version': '2.0', login: 'guest', passcode: 'guest' })
    const err = await none.next('ERROR')
    assert.equal(err.headers['message'], 'Version mismatch')
    assert.equal(err.headers['version'], '1.0,1.1,1.2')
    await none.untilClosed()
  })
})

describe('STOMP heart-beats', () => {
  test('the server sends the heart-beats the client asks for and answers with cy,cx', async () => {
    const c = await rawConnected(port(), { 'heart-beat': '0,50' })
    const beats = c.heartbeats
    await new Promise((r) => setTimeout(r, 300))
    assert.ok(c.heartbeats - beats >= 3, `got ${c.heartbeats - beats} heart-beats`)
    c.close()
    const raw = await RawStomp.open(port())
    raw.frame('CONNECT', {
      'accept-version': '1.2',
      login: 'guest',
      passcode: 'guest',
      'heart-beat': '100,200',
    })
    assert.equal((await raw.next('CONNECTED')).headers['heart-beat'], '200,100')
    raw.close()
  })

  test('a client silent past twice its heart-beat is disconnected; one that beats stays', async () => {
    const silent = await rawConnected(port(), { 'heart-beat': '50,0' })
    const beating = await rawConnected(port(), { 'heart-beat': '50,0' })
    const timer = setInterval(() => beating.write('\n'), 30)
    await silent.untilClosed(1000)
    assert.equal(beating.closed, false)
    clearInterval(timer)
    beating.close()
  })
})

describe('STOMP flow', () => {
  test('a queue holding more than the output high-water mark is delivered whole to an auto subscriber', async () => {
    const N = 20_000
    const pub = await rawConnected(port())
    const send = Buffer.from(`SEND\ndestination:/queue/stomp-burst\n\n${'x'.repeat(200)}\u0000`)
    pub.write(Buffer.concat(Array.from({ length: N }, () => send)))
    pub.frame('SEND', { destination: '/queue/stomp-burst', receipt: 'all-in' }, 'last')
    await pub.next('RECEIPT', 10_000)
    const sub = await rawConnected(port())
    let frames = 0
    sub.socket.removeAllListeners('data')
    sub.socket.on('data', (d: Buffer) => {
      for (const byte of d) if (byte === 0) frames++
    })
    sub.frame('SUBSCRIBE', { id: 's', destination: '/queue/stomp-burst' })
    await eventually(() => frames === N + 1, 15_000)
    sub.close()
    pub.close()
  })
})

describe('STOMP errors', () => {
  test('a frame naming something wrong gets an ERROR with its receipt-id, and the connection goes on (as RabbitMQ)', async () => {
    const c = await rawConnected(port())
    c.frame('SEND', { destination: '/nowhere/x', receipt: 'r-bad' }, 'x')
    const err = await c.next('ERROR')
    assert.equal(err.headers['message'], 'Unknown destination')
    assert.equal(err.headers['receipt-id'], 'r-bad')
    assert.match(
      err.body,
      /^'\/nowhere\/x' is not a valid destination\.\nValid destination types are: \/temp-queue, /,
    )
    c.frame('COMMIT', { transaction: 'nope' })
    const tx = await c.next('ERROR')
    assert.equal(tx.headers['message'], 'Bad transaction')
    assert.equal(tx.body, 'Invalid transaction identifier: "nope"\n')
    c.frame('ACK', { id: 'T_x@@session-y@@99' })
    const ack = await c.next('ERROR')
    assert.equal(ack.headers['message'], 'Subscription not found')
    assert.equal(ack.body, 'Message with id "T_x@@session-y@@99" has no subscription')
    c.frame('UNSUBSCRIBE', { id: 'nope' })
    assert.equal((await c.next('ERROR')).headers['message'], 'No subscription found')
    c.frame('BEGIN')
    assert.equal((await c.next('ERROR')).headers['message'], 'Missing transaction')
    c.frame('SEND', { destination: '/queue/stomp-goes-on', 'message-id': 'mine' }, 'refused')
    const mid = await c.next('ERROR')
    assert.equal(mid.headers['message'], 'Invalid header')
    assert.equal(mid.body, "'message-id' is not allowed on 'SEND'.\n")
    c.frame('SUBSCRIBE', { id: 's', destination: '/queue/stomp-goes-on' })
    c.frame('SEND', { destination: '/queue/stomp-goes-on' }, 'still open')
    assert.equal((await c.next('MESSAGE')).body, 'still open')
    c.close()
  })

  test('a subscription whose queue is deleted gets a "Server cancelled subscription" ERROR, as in RabbitMQ', async () => {
    const c = await rawConnected(port())
    c.frame('SUBSCRIBE', { id: 'gone', destination: '/queue/stomp-deleted', receipt: 'r' })
    await c.next('RECEIPT')
    b.broker.broker.vhosts.get('/')?.deleteQueue('stomp-deleted', 0, false, false)
    const err = await c.next('ERROR')
    assert.equal(err.headers['message'], 'Server cancelled subscription')
    assert.equal(err.headers['subscription'], 'gone')
    c.frame('SEND', { destination: '/queue/stomp-deleted', receipt: 'alive' }, 'x')
    assert.equal((await c.next('RECEIPT')).headers['receipt-id'], 'alive')
    c.close()
  })

  test('frames before CONNECT, duplicate subscriptions and broker errors are ERRORs that close the connection', async () => {
    const early = await RawStomp.open(port())
    early.frame('SEND', { destination: '/queue/x' }, 'x')
    assert.equal((await early.next('ERROR')).headers['message'], 'Illegal command')
    await early.untilClosed()
    const dup = await rawConnected(port())
    dup.frame('SUBSCRIBE', { id: 'd', destination: '/queue/stomp-dup' })
    dup.frame('SUBSCRIBE', { id: 'd', destination: '/queue/stomp-dup' })
    const d = await dup.next('ERROR')
    assert.equal(d.headers['message'], 'Duplicated subscription identifier')
    assert.equal(d.body, "A subscription identified by 'T_d' already exists.")
    await dup.untilClosed()
    const broker = await rawConnected(port())
    broker.frame('SEND', { destination: '/exchange/stomp-no-such-exchange/k', receipt: 'r' }, 'x')
    const e = await broker.next('ERROR')
    assert.equal(e.headers['message'], 'not_found')
    assert.equal(e.headers['receipt-id'], 'r')
    assert.equal(e.body, "NOT_FOUND - no exchange 'stomp-no-such-exchange' in vhost '/'")
    await broker.untilClosed()
    const user = await rawConnected(port())
    user.frame('SEND', { destination: '/queue/stomp-uid', 'user-id': 'bob' }, 'x')
    const u = await user.next('ERROR')
    assert.equal(u.headers['message'], 'precondition_failed')
    assert.equal(
      u.body,
      "PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was 'guest'",
    )
    await user.untilClosed()
  })

  test('malformed and random input get an ERROR and close only their connection', async () => {
    const bystander = await rawConnected(port())
    bystander.frame('SUBSCRIBE', { id: 's', destination: '/queue/stomp-bystander' })
    const bad = await rawConnected(port())
    bad.write('SEND\ndestination:/queue/x\nbroken-header\n\n\u0000')
    assert.equal((await bad.next('ERROR')).headers['message'], 'Invalid frame')
    await bad.untilClosed()
    for (let i = 0; i < 30; i++) {
      const fuzz = await RawStomp.open(port())
      if (i % 2 === 0) fuzz.frame('CONNECT', { 'accept-version': '1.2', login: 'guest', passcode: 'guest' })
      fuzz.write(randomBytes(1 + ((i * 37) % 500)))
      fuzz.write('\u0000FOO\n\n\u0000')
      await fuzz.untilClosed()
    }
    await eventually(() => b.broker.stomp.connections.size === 1)
    bystander.frame('SEND', { destination: '/queue/stomp-bystander' }, 'still here')
    assert.equal((await bystander.next('MESSAGE')).body, 'still here')
    bystander.close()
  })
})
