import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globMatcher } from '../../../src/routing/glob.js';

// Each case as Redis's stringmatchlen() answers it.
const cases: [pattern: string, text: string, matches: boolean][] = [
  ['*', 'save', true],
  ['*', '', true],
  ['*', '.hidden', true],
  ['a*b', 'a/x/b', true],
  ['**', 'x/y', true],
  ['sa?e', 'save', true],
  ['sa?e', 'sae', false],
  ['sa[uv]e', 'save', true],
  ['sa[^v]e', 'save', false],
  ['sa[^x]e', 'save', true],
  ['sa[!v]e', 'save', true], // '!' is a member of the set, not a negation
  ['h[a-c]llo', 'hbllo', true],
  ['h[a-c]llo', 'hdllo', false],
  ['a\\*', 'a*', true],
  ['a\\*', 'ab', false],
  ['{a,b}', 'a', false],
  ['{a,b}', '{a,b}', true],
  ['+(a)', 'a', false],
  ['SAVE', 'save', false],
];

test('glob patterns match as Redis matches them', () => {
  for (const [pattern, text, matches] of cases) {
    assert.equal(globMatcher(pattern)(text), matches, `${JSON.stringify(pattern)} against ${JSON.stringify(text)}`);
  }
});

test('nocase matches in any case; a pattern with an unclosed bracket is no error', () => {
  assert.equal(globMatcher('SAVE', { nocase: true })('save'), true);
  assert.equal(globMatcher('[', { nocase: true })('save'), false);
  assert.equal(globMatcher('[')('['), true);
  assert.equal(globMatcher('x'.repeat(70_000))('x'), false);
});
