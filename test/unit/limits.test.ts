// Limits, connection and channel tracking, and the session's topic permission check, without TCP.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PermissionAuthorizer, UserRegistry } from '../../src/auth/index.js'
import {
  Broker,
  checkQueueLimit,
  limitOf,
  limitsProblem,
  Session,
  Tracking,
  USER_LIMITS,
  VHOST_LIMITS,
  withLimit,
  withoutLimit,
} from '../../src/core/index.js'
import { ManualClock, NotAllowedError, silentLogger } from '../../src/shared/index.js'

const broker = (): Broker => new Broker(new ManualClock(0), silentLogger, { maxMessageSize: 1 << 20 })

test('a limit is in force when set and not negative; the last one set comes first', () => {
  assert.equal(limitOf(undefined, 'max-queues'), undefined)
  assert.equal(limitOf({ 'max-queues': -1 }, 'max-queues'), undefined)
  assert.equal(limitOf({ 'max-queues': 0 }, 'max-queues'), 0)
  const l = withLimit(withLimit(undefined, 'max-queues', 1), 'max-connections', 2)
  assert.deepEqual(Object.keys(l), ['max-connections', 'max-queues'])
  assert.deepEqual(Object.keys(withLimit(l, 'max-queues', 3)), ['max-queues', 'max-connections'])
  assert.deepEqual(withoutLimit(l, 'max-queues'), { 'max-connections': 2 })
  assert.deepEqual(withoutLimit(undefined, 'max-queues'), {})
})

test("limit values are checked with RabbitMQ's words, the refused value printed as an Erlang term", () => {
  assert.equal(limitsProblem({ 'max-queues': 5, 'max-connections': -1 }, VHOST_LIMITS, 'limits'), undefined)
  const problem = (v: unknown): string | undefined =>
    limitsProblem({ 'max-channels': v }, USER_LIMITS, 'user-limits')
  assert.equal(problem('5'), 'max-channels should be a number, actually was <<"5">>')
  assert.equal(problem(1.5), 'max-channels should be a number, actually was 1.5')
  assert.equal(problem(1e21), 'max-channels should be a number, actually was 1.0e21')
  assert.equal(problem(true), 'max-channels should be a number, actually was true')
  assert.equal(problem([1, 'a']), 'max-channels should be a number, actually was [1,<<"a">>]')
  assert.equal(problem({ a: 1 }), 'max-channels should be a number, actually was #{<<"a">> => 1}')
  assert.equal(
    limitsProblem({ 'max-queues': 1, 'max-channels': 2, x: 'y' }, VHOST_LIMITS, 'limits'),
    'Unrecognised terms [{<<"max-channels">>,2},{<<"x">>,<<"y">>}] in limits',
  )
})

test('max-queues counts every queue of the vhost; 0 allows none', () => {
  const v = broker().addVhost('v')
  const declare = { passive: false, durable: false, exclusiveOwner: undefined, autoDelete: false, args: {} }
  v.declareQueue({ ...declare, name: 'a' }, 1)
  checkQueueLimit(v, 'b')
  v.limits = { 'max-queues': 1 }
  assert.throws(() => checkQueueLimit(v, 'b'), {
    replyCode: 406,
    message: "cannot declare queue 'b': queue limit in vhost 'v' (1) is reached",
  })
  v.limits = { 'max-queues': 0 }
  assert.throws(() => checkQueueLimit(v, 'b'), /\(0\) is reached/)
  v.limits = {}
  checkQueueLimit(v, 'b')
})

test("connections: the vhost's limit is checked before the user's; each close uncounts once", () => {
  const t = new Tracking()
  const v = broker().addVhost('v')
  v.limits = { 'max-connections': 1 }
  const close = t.connectionOpened('v', 'alice')
  assert.throws(() => t.checkConnection(v, 'alice', { 'max-connections': 0 }), {
    replyCode: 530,
    message: "access to vhost 'v' refused for user 'alice': connection limit (1) is reached",
  })
  v.limits = {}
  assert.throws(() => t.checkConnection(v, 'alice', { 'max-connections': 1 }), {
    message: "connection refused for user 'alice': user connection limit (1) is reached",
  })
  t.checkConnection(v, 'bob', { 'max-connections': 1 })
  close()
  close()
  assert.equal(t.connectionsIn('v'), 0)
  assert.equal(t.connectionsOf('alice'), 0)
  t.checkConnection(v, 'alice', { 'max-connections': 1 })
})

test("channels: the user's max-channels, reported against no method", () => {
  const t = new Tracking()
  const one = t.channelOpened('alice', { 'max-channels': 2 })
  t.channelOpened('alice', { 'max-channels': 2 })
  try {
    t.channelOpened('alice', { 'max-channels': 2 })
    assert.fail('not refused')
  } catch (err) {
    assert.ok(err instanceof NotAllowedError)
    assert.equal(
      err.message,
      "number of channels opened for user 'alice' has reached the maximum allowed user limit of (2)",
    )
    assert.deepEqual(err.method, [0, 0])
  }
  one()
  one()
  assert.equal(t.channelsOf('alice'), 1)
  t.channelOpened('alice', { 'max-channels': 2 })
  t.channelOpened('bob', undefined)
})

/** A session whose authorizer counts the topic checks it is asked for. */
function topicWorld(): { session: Session; users: UserRegistry; checks: () => number } {
  const b = broker()
  const v = b.addVhost('v')
  const users = new UserRegistry()
  users.addUser('alice', 'x')
  users.setPermission('alice', 'v', { configure: '.*', write: '.*', read: '.*' })
  const authz = new PermissionAuthorizer(users)
  let checks = 0
  const counting = Object.assign(Object.create(authz) as PermissionAuthorizer, {
    checkTopic: (...args: Parameters<PermissionAuthorizer['checkTopic']>) => {
      checks++
      authz.checkTopic(...args)
    },
  })
  const session = new Session({
    vhost: v,
    user: 'alice',
    authz: counting,
    connection: 'test',
    channel: 1,
    node: 'test',
    maxMessageSize: 1 << 20,
  })
  return { session, users, checks: () => checks }
}

test('the session matches a routing key only for users with topic permissions, once per key and permission', () => {
  const w = topicWorld()
  for (let i = 0; i < 3; i++) w.session.exchangeForPublish('amq.topic', `k${i}`)
  assert.equal(w.checks(), 0, 'no topic permission: no check')
  w.users.setTopicPermission('alice', 'v', { exchange: 'amq.topic', write: '^{username}\\.', read: '.*' })
  w.session.exchangeForPublish('amq.direct', 'anything')
  assert.equal(w.checks(), 0, 'not a topic exchange: no check')
  for (let i = 0; i < 3; i++) w.session.exchangeForPublish('amq.topic', 'alice.a')
  assert.equal(w.checks(), 1, 'an allowed key is remembered')
  assert.throws(() => w.session.exchangeForPublish('amq.topic', 'bob.a'), {
    replyCode: 403,
    message: "access to topic 'bob.a' in exchange 'amq.topic' in vhost 'v' refused for user 'alice'",
  })
  w.users.setTopicPermission('alice', 'v', { exchange: 'amq.topic', write: '^bob\\.', read: '.*' })
  assert.throws(() => w.session.exchangeForPublish('amq.topic', 'alice.a'), /access to topic 'alice.a'/)
  w.session.exchangeForPublish('amq.topic', 'bob.a')
  w.users.clearTopicPermissions('alice', 'v')
  w.session.exchangeForPublish('amq.topic', 'alice.a')
})
