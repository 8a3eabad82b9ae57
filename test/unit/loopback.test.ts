import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isLoopback } from '../../src/shared/index.js'

test('isLoopback: 127.0.0.0/8, ::1 and IPv4-mapped loopback in any spelling', () => {
  for (const a of [
    '127.0.0.1',
    '127.255.255.254',
    '127.1.2.3',
    '::1',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    '::FFFF:127.9.9.9',
    '::ffff:7f00:1',
    '0:0:0:0:0:ffff:127.0.0.1',
  ]) {
    assert.equal(isLoopback(a), true, a)
  }
})

test('isLoopback fails closed: other, empty, missing and non-IP addresses are not loopback', () => {
  for (const a of [
    '128.0.0.1',
    '10.0.0.1',
    '0.0.0.0',
    '::',
    '::2',
    '::127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:128.0.0.1',
    'fe80::1',
    '',
    'localhost',
    '127.0.0.1.example.com',
    '127.',
    'not an address',
    undefined,
  ]) {
    assert.equal(isLoopback(a), false, String(a))
  }
})
