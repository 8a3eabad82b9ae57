// warren ctl's vhost and user limit commands against Warren's /api/vhost-limits and /api/user-limits,
// with rabbitmqctl 3.10's output and exit codes (the same command lines were run against RabbitMQ 3.10.8).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { lines, scratchVhost, unique, useWarren } from './helpers.js'

const w = useWarren()

test('set_vhost_limits replaces the set; list shows it; clear clears it, and again is an error', async () => {
  const vhost = await scratchVhost(w)
  assert.equal((await w.ctl('set_vhost_limits', '-p', vhost, '{"max-connections":10}')).code, 0)
  assert.equal((await w.ctl('set_vhost_limits', '-p', vhost, '{"max-queues":5}')).code, 0)
  const listed = await w.ctl('list_vhost_limits', '-p', vhost)
  assert.deepEqual(lines(listed.stdout), [`Listing limits for vhost "${vhost}" ...`, '{"max-queues":5}'])
  const all = await w.ctl('-q', 'list_vhost_limits', '--global')
  assert.ok(lines(all.stdout).includes(`${vhost}\t{"max-queues":5}`))
  const bogus = await w.ctl('set_vhost_limits', '-p', vhost, '{"bogus":1}')
  assert.equal(bogus.code, 69)
  assert.match(
    bogus.stderr,
    /^Error:\nValidation failed\n\nUnrecognised terms \[\{<<"bogus">>,1\}\] in limits\n/,
  )
  assert.equal((await w.ctl('set_vhost_limits', '-p', vhost, 'notjson')).code, 69)
  assert.equal((await w.ctl('clear_vhost_limits', '-p', vhost)).code, 0)
  const again = await w.ctl('clear_vhost_limits', '-p', vhost)
  assert.deepEqual([again.code, again.stderr], [69, 'Error:\nParameter does not exist\n'])
  const missing = await w.ctl('set_vhost_limits', '-p', 'no-such-vhost', '{"max-queues":1}')
  assert.deepEqual([missing.code, missing.stderr], [65, "Virtual host 'no-such-vhost' does not exist\n"])
})

test('set_user_limits adds to the set; clear_user_limits one or all; a missing user exits 69', async () => {
  const user = unique('limited')
  assert.equal((await w.ctl('add_user', user, 'pw')).code, 0)
  assert.equal((await w.ctl('set_user_limits', user, '{"max-channels":5,"max-connections":3}')).code, 0)
  assert.equal((await w.ctl('set_user_limits', user, '{"max-channels":2}')).code, 0)
  const listed = await w.ctl('-q', 'list_user_limits', '--user', user)
  assert.equal(listed.stdout, '{"max-channels":2,"max-connections":3}\n')
  assert.equal((await w.ctl('clear_user_limits', user, 'max-channels')).code, 0)
  assert.equal((await w.ctl('-q', 'list_user_limits', '--user', user)).stdout, '{"max-connections":3}\n')
  assert.equal((await w.ctl('clear_user_limits', user, 'all')).code, 0)
  assert.equal((await w.ctl('-q', 'list_user_limits', '--user', user)).stdout, '{}\n')
  const missing = await w.ctl('set_user_limits', 'no-such-user', '{"max-channels":1}')
  assert.deepEqual([missing.code, missing.stderr], [69, 'Error:\n{:no_such_user, "no-such-user"}\n'])
})

test('set_topic_permissions, list_topic_permissions, clear_topic_permissions for one exchange or all', async () => {
  const vhost = await scratchVhost(w)
  const user = unique('topic-user')
  assert.equal((await w.ctl('add_user', user, 'pw')).code, 0)
  assert.equal((await w.ctl('set_topic_permissions', '-p', vhost, user, 'amq.topic', '^a', '^b')).code, 0)
  assert.equal((await w.ctl('set_topic_permissions', '-p', vhost, user, 'other', '^c', '^d')).code, 0)
  const listed = await w.ctl('list_topic_permissions', '-p', vhost)
  assert.deepEqual(lines(listed.stdout), [
    `Listing topic permissions for vhost "${vhost}" ...`,
    'user\texchange\twrite\tread',
    `${user}\tamq.topic\t^a\t^b`,
    `${user}\tother\t^c\t^d`,
  ])
  assert.equal((await w.ctl('clear_topic_permissions', '-p', vhost, user, 'amq.topic')).code, 0)
  assert.deepEqual(lines((await w.ctl('-s', 'list_topic_permissions', '-p', vhost)).stdout), [
    `${user}\tother\t^c\t^d`,
  ])
  assert.equal((await w.ctl('clear_topic_permissions', '-p', vhost, user)).code, 0)
  assert.equal((await w.ctl('-s', 'list_topic_permissions', '-p', vhost)).stdout, '\n')
  const noUser = await w.ctl('set_topic_permissions', '-p', vhost, 'nobody', 'amq.topic', '.*', '.*')
  assert.deepEqual([noUser.code, noUser.stderr], [67, 'Error:\nUser nobody does not exist\n'])
  const noVhost = await w.ctl('list_topic_permissions', '-p', 'no-such-vhost')
  assert.equal(noVhost.code, 65)
})
