import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  checkUserPattern,
  compileUserPattern,
  UserPatternError,
  userPattern,
} from '../../src/shared/index.js'

test('user patterns match unanchored, as RabbitMQ re:run does; caseless only when asked', () => {
  assert.equal(compileUserPattern('abc').test('xxabcxx'), true)
  assert.equal(compileUserPattern('^abc$').test('xxabcxx'), false)
  assert.equal(compileUserPattern('ABC').test('abc'), false)
  assert.equal(compileUserPattern('ABC', { caseless: true }).test('xabcx'), true)
  // PCRE syntax RE2 shares with RabbitMQ's engine and JavaScript lacks
  assert.equal(compileUserPattern('^[[:upper:]]').test('Queue'), true)
  assert.equal(compileUserPattern('(?i)^queue').test('QUEUE'), true)
  assert.equal(compileUserPattern('^\\p{Lu}').test('Queue'), true)
  assert.equal(compileUserPattern('^a\\-b$').test('a-b'), true)
})

test('a pattern is compiled once: the same source gives the same compiled pattern', () => {
  assert.equal(compileUserPattern('^cached-\\d+$'), compileUserPattern('^cached-\\d+$'))
  assert.notEqual(compileUserPattern('x'), compileUserPattern('x', { caseless: true }))
})

test('lookarounds and backreferences are refused with a reason that says why', () => {
  for (const source of ['(?=a)b', '(?!amq\\.)', '(?<=a)b', '(?<!a)b', '(a)\\1']) {
    assert.throws(() => compileUserPattern(source), UserPatternError, source)
    assert.match(checkUserPattern(source) ?? '', /lookahead, lookbehind and backreferences are not supported/)
  }
  assert.match(checkUserPattern('(') ?? '', /missing closing \)/)
  assert.equal(checkUserPattern('^amq\\.gen-.*'), undefined)
})

test('a refused pattern that arrives another way matches nothing', () => {
  for (const source of ['(?=a)', '(?!x).*', '(']) {
    const p = userPattern(source)
    for (const subject of ['', 'a', 'x', 'anything'])
      assert.equal(p.test(subject), false, `${source} ${subject}`)
  }
})

test('matching is linear: ^C(a+)+Z$ fails at once on long inputs', () => {
  const p = compileUserPattern('^C(a+)+Z$')
  const started = performance.now()
  assert.equal(p.test('C' + 'a'.repeat(30)), false)
  assert.equal(p.test('C' + 'a'.repeat(100_000)), false)
  assert.equal(p.test('C' + 'a'.repeat(100) + 'Z'), true)
  // generous bound: the backtracking engine takes ~28 s for the 31-character name alone
  assert.ok(performance.now() - started < 2000)
})
