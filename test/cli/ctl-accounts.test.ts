// warren ctl for users, vhosts, permissions and tracing: rabbitmqctl's messages and exit codes, and
// the effect checked through the API itself (logging in with the new password, listing the result).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { lines, runCli, scratchVhost, unique, useWarren } from './helpers.js'

const w = useWarren()
const as = (user: string, password: string, ...argv: string[]) =>
  runCli(['--url', w.httpUrl, '--username', user, '--password', password, ...argv])

describe('users', () => {
  test('add_user creates a user without tags; the reminder goes away with -q', async () => {
    const name = unique('ctl-user')
    const r = await w.ctl('add_user', name, 'pw1')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      r.stdout,
      `Adding user "${name}" ...\nDone. Don't forget to grant the user permissions to some virtual hosts! ` +
        "See 'warren ctl help set_permissions' to learn more.\n",
    )
    assert.ok(lines((await w.ctl('-s', 'list_users')).stdout).includes(`${name}\t[]`))
    const quiet = await w.ctl('-q', 'add_user', unique('ctl-user'), 'pw')
    assert.equal(quiet.stdout, '')
  })

  test('add_user of an existing user fails with 70 and leaves it alone', async () => {
    const name = unique('ctl-user')
    await w.ctl('add_user', name, 'pw1')
    await w.ctl('set_user_tags', name, 'administrator')
    const r = await w.ctl('add_user', name, 'other')
    assert.equal(r.code, 70)
    assert.equal(r.stdout, `Adding user "${name}" ...\n`)
    assert.equal(r.stderr, `Error:\nUser "${name}" already exists\n`)
    assert.equal((await as(name, 'pw1', 'list_vhosts')).code, 0)
  })

  test('add_user --formatter json', async () => {
    const r = await w.ctl('add_user', unique('ctl-user'), 'pw', '--formatter', 'json')
    const doc = JSON.parse(r.stdout) as Record<string, string>
    assert.deepEqual(Object.keys(doc), ['message', 'node', 'status'])
    assert.match(doc['message'] ?? '', /^Done\. Don't forget to grant the user permissions/)
    assert.match(doc['node'] ?? '', /^warren@/)
    assert.equal(doc['status'], 'ok')
  })

  test('a blank password disables password logins', async () => {
    const name = unique('ctl-user')
    await w.ctl('add_user', name, '')
    await w.ctl('set_user_tags', name, 'administrator')
    const r = await as(name, '', 'list_users')
    assert.equal(r.code, 77)
  })

  test('set_user_tags keeps the password; change_password keeps the tags', async () => {
    const name = unique('ctl-user')
    await w.ctl('add_user', name, 'old')
    const tags = await w.ctl('set_user_tags', name, 'administrator', 'monitoring')
    assert.equal(tags.stdout, `Setting tags for user "${name}" to [administrator, monitoring] ...\n`)
    assert.equal((await as(name, 'old', 'list_users')).code, 0)
    const change = await w.ctl('change_password', name, 'new')
    assert.equal(change.stdout, `Changing password for user "${name}" ...\n`)
    assert.equal((await as(name, 'old', 'list_users')).code, 77)
    const after = await as(name, 'new', '-s', 'list_users')
    assert.equal(after.code, 0, after.stderr)
    assert.ok(lines(after.stdout).includes(`${name}\t[administrator, monitoring]`))
  })

  test('set_user_tags with no tags clears them', async () => {
    const name = unique('ctl-user')
    await w.ctl('add_user', name, 'pw')
    await w.ctl('set_user_tags', name, 'management')
    assert.equal((await w.ctl('set_user_tags', name)).code, 0)
    assert.ok(lines((await w.ctl('-s', 'list_users')).stdout).includes(`${name}\t[]`))
  })

  test('delete_user', async () => {
    const name = unique('ctl-user')
    await w.ctl('add_user', name, 'pw')
    const r = await w.ctl('delete_user', name)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `Deleting user "${name}" ...\n`)
    assert.ok(!lines((await w.ctl('-s', 'list_users')).stdout).some((l) => l.startsWith(`${name}\t`)))
  })

  test('commands on a missing user fail with 67', async () => {
    for (const argv of [
      ['delete_user', 'nobody'],
      ['change_password', 'nobody', 'x'],
      ['set_user_tags', 'nobody', 'a'],
    ]) {
      const r = await w.ctl(...argv)
      assert.equal(r.code, 67, argv.join(' '))
      assert.equal(r.stderr, 'Error:\nUser "nobody" does not exist\n')
    }
  })
})

describe('vhosts', () => {
  test('add_vhost with description and tags; adding it again changes nothing', async () => {
    const name = unique('ctl-vhost')
    const r = await w.ctl('add_vhost', name, '--description', 'for tests', '--tags', 'a,b')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `Adding vhost "${name}" ...\n`)
    const again = await w.ctl('add_vhost', name)
    assert.equal(again.code, 0)
    const listed = await w.ctl('-s', 'list_vhosts', 'name', 'description', 'tags', 'tracing')
    assert.ok(lines(listed.stdout).includes(`${name}\tfor tests\t[a, b]\tfalse`), listed.stdout)
  })

  test('delete_vhost, then again: 65 and rabbitmqctl message', async () => {
    const name = await scratchVhost(w)
    const r = await w.ctl('delete_vhost', name)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `Deleting vhost "${name}" ...\n`)
    assert.ok(!lines((await w.ctl('-s', 'list_vhosts')).stdout).includes(name))
    const again = await w.ctl('delete_vhost', name)
    assert.equal(again.code, 65)
    assert.equal(again.stderr, `Virtual host '${name}' does not exist\n`)
  })

  test('mutations print {"node":...,"result":"ok"} with --formatter json', async () => {
    const name = unique('ctl-vhost')
    const r = await w.ctl('add_vhost', name, '--formatter', 'json')
    const doc = JSON.parse(r.stdout) as { node: string; result: string }
    assert.match(doc.node, /^warren@/)
    assert.equal(doc.result, 'ok')
    assert.equal(r.stdout.split('\n').length, 2)
  })
})

describe('permissions', () => {
  test('set_permissions, list_permissions, clear_permissions', async () => {
    const vhost = await scratchVhost(w)
    const user = unique('ctl-user')
    await w.ctl('add_user', user, 'pw')
    const set = await w.ctl('set_permissions', '-p', vhost, user, '^q-.*', '', '.*')
    assert.equal(set.code, 0, set.stderr)
    assert.equal(set.stdout, `Setting permissions for user "${user}" in vhost "${vhost}" ...\n`)
    assert.ok(
      lines((await w.ctl('-s', 'list_permissions', '-p', vhost)).stdout).includes(`${user}\t^q-.*\t\t.*`),
    )
    const clear = await w.ctl('clear_permissions', '-p', vhost, user)
    assert.equal(clear.code, 0, clear.stderr)
    assert.equal(clear.stdout, `Clearing permissions for user "${user}" in vhost "${vhost}" ...\n`)
    assert.ok(!(await w.ctl('-s', 'list_permissions', '-p', vhost)).stdout.includes(user))
    assert.equal((await w.ctl('clear_permissions', '-p', vhost, user)).code, 0, 'nothing to clear is fine')
  })

  test('set_permissions for a missing vhost (65, as every command) or user (67)', async () => {
    const vhost = await scratchVhost(w)
    const noVhost = await w.ctl('set_permissions', '-p', 'no-such-vhost', 'guest', '.*', '.*', '.*')
    assert.equal(noVhost.code, 65)
    assert.equal(noVhost.stderr, 'Error:\nVirtual host no-such-vhost does not exist\n')
    assert.equal((await w.ctl('clear_permissions', '-p', 'no-such-vhost', 'guest')).code, 65)
    const noUser = await w.ctl('set_permissions', '-p', vhost, 'nobody', '.*', '.*', '.*')
    assert.equal(noUser.code, 67)
    assert.equal(noUser.stderr, 'Error:\nUser nobody does not exist\n')
    assert.equal((await w.ctl('clear_permissions', '-p', vhost, 'nobody')).code, 67)
  })

  test('an invalid regular expression is reported', async () => {
    const vhost = await scratchVhost(w)
    const r = await w.ctl('set_permissions', '-p', vhost, 'guest', '(', '.*', '.*')
    assert.equal(r.code, 65)
    assert.match(r.stderr, /^Error:\n.*invalid_regexp/)
  })

  test('set_permissions needs all three patterns', async () => {
    const r = await w.ctl('set_permissions', 'guest', '.*', '.*')
    assert.equal(r.code, 64)
    assert.match(r.stderr, /missing required argument 'read'/)
  })
})

describe('tracing', () => {
  // The HTTP API's PUT /api/vhosts/<vhost> {"tracing": true} is how the management UI switches tracing;
  // the command checks that the vhost reports it afterwards, and says plainly when it does not.
  test('trace_on either enables tracing or says the broker does not support it', async () => {
    const vhost = await scratchVhost(w)
    const on = await w.ctl('trace_on', '-p', vhost)
    assert.equal(lines(on.stdout)[0], `Starting tracing for vhost "${vhost}" ...`)
    const tracing = lines((await w.ctl('-s', 'list_vhosts', 'name', 'tracing')).stdout)
    if (on.code === 0) {
      assert.equal(lines(on.stdout)[1], `Trace enabled for vhost ${vhost}`)
      assert.ok(tracing.includes(`${vhost}\ttrue`))
      const off = await w.ctl('trace_off', '-p', vhost)
      assert.equal(
        off.stdout,
        `Stopping tracing for vhost "${vhost}" ...\nTrace disabled for vhost ${vhost}\n`,
      )
    } else {
      assert.equal(on.code, 69)
      assert.match(
        on.stderr,
        /^Error: message tracing is not supported by the broker at http:\/\/127\.0\.0\.1:\d+: it accepted PUT \/api\/vhosts\/.+ with \{"tracing":true\}, but vhost '.+' still reports tracing=false\n$/,
      )
      assert.ok(tracing.includes(`${vhost}\tfalse`))
    }
  })

  test('tracing keeps the vhost description and tags', async () => {
    const vhost = unique('ctl-vhost')
    await w.ctl('add_vhost', vhost, '--description', 'kept', '--tags', 'x')
    await w.ctl('trace_on', '-p', vhost)
    await w.ctl('trace_off', '-p', vhost)
    const listed = await w.ctl('-s', 'list_vhosts', 'name', 'description', 'tags')
    assert.ok(lines(listed.stdout).includes(`${vhost}\tkept\t[x]`), listed.stdout)
  })

  test('trace_off --formatter json; trace_on in a missing vhost', async () => {
    const vhost = await scratchVhost(w)
    const off = await w.ctl('trace_off', '-p', vhost, '--formatter', 'json')
    assert.equal(off.code, 0, off.stderr)
    assert.deepEqual(Object.keys(JSON.parse(off.stdout)), ['node', 'result', 'value'])
    const missing = await w.ctl('trace_on', '-p', 'no-such-vhost')
    assert.equal(missing.code, 65)
    assert.equal(missing.stderr, "Virtual host 'no-such-vhost' does not exist\n")
    assert.ok(!lines((await w.ctl('-s', 'list_vhosts')).stdout).includes('no-such-vhost'), 'not created')
  })
})
