// The stats document writer against the verbatim document uWSGI 2.0.21 wrote (reference §5,
// saved in test/fixtures/stats-uwsgi-2.0.21.json): the same data gives the same bytes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderStats, type StatsObject } from '../../../src/stats/stats-json.js';

const recorded = readFileSync(new URL('../../fixtures/stats-uwsgi-2.0.21.json', import.meta.url), 'utf8');

test('the writer reproduces uWSGI 2.0.21 byte for byte, tabs and quirks included', () => {
  const data = JSON.parse(recorded) as StatsObject;
  assert.equal(renderStats(data, false), recorded);
});

test('stats-minified drops every newline and tab; the result is JSON', () => {
  const data = JSON.parse(recorded) as StatsObject;
  const minified = renderStats(data, true);
  assert.doesNotMatch(minified, /[\n\t]/);
  assert.deepEqual(JSON.parse(minified), data);
});

test('request vars are written flush left, req_info with its tabs', () => {
  const text = renderStats(
    { cores: [{ id: 0, vars: ['REQUEST_METHOD=GET', ''], req_info: { request_start: 5 } }] },
    false,
  );
  assert.equal(
    text,
    '{\n\t"cores":[\n\t\t{\n\t\t\t"id":0,\n\t\t\t"vars":[\n"REQUEST_METHOD=GET",\n""\n\t\t\t],\n\t\t\t"req_info":\t\t\t{\n\t\t\t\t"request_start":5\n\t\t\t}\n\t\t}\n\t]\n}',
  );
});
