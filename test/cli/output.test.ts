// How warren ctl prints values and tables, checked against rabbitmqctl 3.10's own output.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cell, jsonValue, Output, type OutputMode } from '../../src/cli/ctl/output.js'

const TABLE: OutputMode = { json: false, quiet: false, silent: false, headers: true }

function render(mode: Partial<OutputMode>, f: (o: Output) => void): string {
  let s = ''
  f(new Output({ write: (c: string) => (s += c) }, { ...TABLE, ...mode }))
  return s
}

test('cell: AMQP tables as Erlang lists of {"key",value}, nested tables included', () => {
  assert.equal(
    cell({ 'x-max-length': 10, 'x-queue-type': 'classic' }, 'table'),
    '[{"x-max-length",10},{"x-queue-type","classic"}]',
  )
  assert.equal(
    cell({ product: 'amqplib', capabilities: { 'basic.nack': true } }, 'table'),
    '[{"product","amqplib"},{"capabilities",[{"basic.nack",true}]}]',
  )
  assert.equal(cell({}, 'table'), '[]')
  assert.equal(cell({ list: [1, 'a'] }, 'table'), '[{"list",[1,"a"]}]')
})

test('cell: tags, protocol, node states, missing values', () => {
  assert.equal(cell(['monitoring', 'policymaker'], 'list'), '[monitoring, policymaker]')
  assert.equal(cell([], 'list'), '[]')
  assert.equal(cell('AMQP 0-9-1', 'protocol'), '{0,9,1}')
  assert.equal(cell({ 'warren@host': 'running' }, 'nodes'), '[{warren@host, running}]')
  assert.equal(cell(null, 'plain'), '')
  assert.equal(cell(undefined, 'plain'), '')
  assert.equal(cell(false, 'plain'), 'false')
  assert.equal(cell(0.5, 'plain'), '0.5')
})

test('jsonValue: typed triples for tables, [0,9,1] for the protocol, "" for missing', () => {
  assert.deepEqual(jsonValue({ a: 'x', b: true, c: 3, d: 1.5, e: { f: null } }, 'table'), [
    ['a', 'longstr', 'x'],
    ['b', 'bool', true],
    ['c', 'long', 3],
    ['d', 'double', 1.5],
    ['e', 'table', [['f', 'void', 'undefined']]],
  ])
  assert.deepEqual(jsonValue('AMQP 0-9-1', 'protocol'), [0, 9, 1])
  assert.equal(jsonValue(null, 'plain'), '')
  assert.deepEqual(jsonValue(['a'], 'list'), ['a'])
})

test('rows: header then tab-separated rows; -s and --no-table-headers drop the header', () => {
  const cols = [
    { name: 'name', kind: 'plain' as const },
    { name: 'messages', kind: 'plain' as const },
  ]
  const rows = [
    ['a', 1],
    ['b', 0],
  ]
  assert.equal(
    render({}, (o) => o.rows(cols, rows, 'nothing')),
    'name\tmessages\na\t1\nb\t0\n',
  )
  assert.equal(
    render({ silent: true }, (o) => o.rows(cols, rows, 'nothing')),
    'a\t1\nb\t0\n',
  )
  assert.equal(
    render({ headers: false }, (o) => o.rows(cols, rows, 'nothing')),
    'a\t1\nb\t0\n',
  )
})

test('rows: JSON streamed one object per line, as rabbitmqctl --formatter json', () => {
  const cols = [{ name: 'name', kind: 'plain' as const }]
  assert.equal(
    render({ json: true }, (o) => o.rows(cols, [['a'], ['b']], 'nothing')),
    '[\n{"name":"a"}\n,{"name":"b"}\n]\n',
  )
  assert.equal(
    render({ json: true }, (o) => o.rows(cols, [], 'nothing')),
    '[\n]\n',
  )
  assert.equal(
    render({ json: true }, (o) => o.rows(cols, [], 'blank')),
    '[]\n',
  )
})

test('rows: an empty listing prints nothing, or an empty line for list_permissions and list_policies', () => {
  const cols = [{ name: 'name', kind: 'plain' as const }]
  assert.equal(
    render({}, (o) => o.rows(cols, [], 'nothing')),
    '',
  )
  assert.equal(
    render({}, (o) => o.rows(cols, [], 'blank')),
    '\n',
  )
})

test('info lines are hidden by -q, -s and JSON; results only by JSON', () => {
  const both = (o: Output): void => {
    o.info('Listing queues ...')
    o.result('Queue was successfully deleted with 0 ready messages')
  }
  assert.equal(render({}, both), 'Listing queues ...\nQueue was successfully deleted with 0 ready messages\n')
  assert.equal(render({ quiet: true }, both), 'Queue was successfully deleted with 0 ready messages\n')
  assert.equal(render({ silent: true }, both), 'Queue was successfully deleted with 0 ready messages\n')
  assert.equal(render({ json: true }, both), '')
})
