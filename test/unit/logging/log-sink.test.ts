// The master's log sink (uWSGI's uwsgi_master_log): log-date prefix, drains, filters, routes,
// loggers, encoders, and the request chain, with in-memory targets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEncoder } from '../../../src/logging/encoders.js';
import { cutLines, LogSink } from '../../../src/logging/log-sink.js';
import { LateTarget, type LogTarget } from '../../../src/logging/log-targets.js';
import type { Logger } from '../../../src/logging/loggers.js';

class Memory implements LogTarget {
  text = '';
  writes = 0;
  rotations = 0;
  reopens = 0;
  write(text: string): void {
    this.text += text;
    this.writes++;
  }
  rotate(): void {
    this.rotations++;
  }
  reopen(): void {
    this.reopens++;
  }
  close(): void {}
}

const logger = (id: string | undefined): Logger & { target: Memory } => ({
  id,
  plugin: 'memory',
  target: new Memory(),
});

describe('LogSink', () => {
  it('plain: lines go to the output as they are, a block of lines in one write', () => {
    const output = new Memory();
    const sink = new LogSink({ output });
    sink.line('master says hi');
    sink.requests('[pid: 1] a\n[pid: 1] b\n');
    sink.lines('app output\n', false);
    assert.equal(output.text, 'master says hi\n[pid: 1] a\n[pid: 1] b\napp output\n');
    assert.equal(output.writes, 3);
  });

  it("log-date prefixes the instance's own lines, not request lines nor an app's output", () => {
    const output = new Memory();
    const sink = new LogSink({ output, prefix: () => 'DATE - ', now: () => 0 });
    sink.line('own');
    sink.requests('[pid: 1] req\n');
    sink.lines('print\n', false);
    sink.lines('own too\n', true);
    assert.equal(output.text, 'DATE - own\n[pid: 1] req\nprint\nDATE - own too\n');
  });

  it('log-drain drops, log-filter keeps only what matches', () => {
    const output = new Memory();
    const sink = new LogSink({ output, drains: [/secret/], filters: [/keep/] });
    for (const l of ['keep this', 'keep secret', 'drop this']) sink.line(l);
    assert.equal(output.text, 'keep this\n');
  });

  it('a routed line goes to its named logger only; unnamed loggers replace the output', () => {
    const output = new Memory();
    const errs = logger('errs');
    const all = logger(undefined);
    const sink = new LogSink({
      output,
      general: { routes: [{ pattern: /ERROR/, logger: errs }], loggers: [errs, all], encoders: [] },
    });
    sink.line('ERROR boom');
    sink.line('fine');
    assert.equal(errs.target.text, 'ERROR boom\n');
    assert.equal(all.target.text, 'fine\n');
    assert.equal(output.text, '', 'with an unnamed logger, the output gets nothing');
  });

  it('a route naming no logger is inert', () => {
    const output = new Memory();
    const sink = new LogSink({
      output,
      general: { routes: [{ pattern: /x/, logger: undefined }], loggers: [], encoders: [] },
    });
    sink.line('x');
    assert.equal(output.text, 'x\n');
  });

  it('encoders run per logger; one bound to a logger only there', () => {
    const output = new Memory();
    const big = logger('big');
    const sink = new LogSink({
      output,
      general: {
        routes: [{ pattern: /big/, logger: big }],
        loggers: [big],
        encoders: [parseEncoder('prefix:big B:', 'x'), parseEncoder('prefix *', 'x')],
      },
    });
    sink.line('big one');
    sink.line('small one');
    assert.equal(big.target.text, '*B:big one\n');
    assert.equal(output.text, '*small one\n');
  });

  it('request lines take the request chain when there is one, the general chain otherwise', () => {
    const output = new Memory();
    const req = logger(undefined);
    const withChain = new LogSink({
      output,
      drains: [/.*/],
      general: { routes: [], loggers: [], encoders: [parseEncoder('prefix GEN ', 'x')] },
      request: { routes: [], loggers: [req], encoders: [parseEncoder('prefix REQ ', 'x')] },
    });
    withChain.requests('[pid: 1] a\n[pid: 1] b\n');
    assert.equal(req.target.text, 'REQ [pid: 1] a\nREQ [pid: 1] b\n', 'drains are for the general chain');
    const general = new Memory();
    const without = new LogSink({
      output: general,
      general: { routes: [], loggers: [], encoders: [parseEncoder('prefix GEN ', 'x')] },
    });
    without.requests('[pid: 1] a\n');
    assert.equal(general.text, 'GEN [pid: 1] a\n');
  });

  it('rotate and reopen reach the output when the master owns it, and are refused otherwise', () => {
    const owned = new Memory();
    const sink = new LogSink({ output: owned });
    sink.rotate();
    sink.reopen();
    assert.deepEqual([owned.rotations, owned.reopens], [1, 1]);
    const shared = new Memory();
    const direct = new LogSink({ output: shared, owned: false });
    direct.rotate();
    direct.reopen();
    assert.deepEqual([shared.rotations, shared.reopens], [0, 0]);
    assert.match(shared.text, /log rotation needs log-master/);
  });
});

describe('log-master-bufsize: long lines from the workers are cut', () => {
  it('cutLines keeps the newline, leaves short lines and blocks alone, never splits a character', () => {
    assert.equal(cutLines('abcdef\nxy\n', 0), 'abcdef\nxy\n');
    const short = 'abc\nde\n';
    assert.equal(cutLines(short, 3), short);
    assert.equal(String(cutLines('abcdef\nxy\nlonger line\n', 4)), 'abcd\nxy\nlong\n');
    // é is two bytes: a cut in its middle backs off to before it
    assert.equal(String(cutLines('aé!\n', 2)), 'a\n');
    assert.equal(String(cutLines(Buffer.from('123456'), 5)), '12345\n');
  });

  it('general and request lines have their own limit (log-master-stream / -req-stream lift one)', () => {
    const output = new Memory();
    const sink = new LogSink({ output, maxLine: { general: 5, request: 0 } });
    sink.lines('0123456789\nok\n', false);
    sink.requests('[pid: 1] a request line\n');
    sink.line('the master own lines are never cut');
    assert.equal(output.text, '01234\nok\n[pid: 1] a request line\nthe master own lines are never cut\n');
  });
});

describe('logto2: the output opened after privileges are dropped', () => {
  it('lines go to the early output until afterPrivileges(), then to the late one', () => {
    const early = new Memory();
    const late = new Memory();
    let opened = 0;
    const output = new LateTarget(
      early,
      () => {
        opened++;
        return late;
      },
      false,
    );
    const sink = new LogSink({ output });
    sink.line('before');
    sink.afterPrivileges();
    sink.afterPrivileges();
    sink.line('after');
    sink.rotate();
    assert.equal(early.text, 'before\n');
    assert.equal(late.text, 'after\n');
    assert.equal(opened, 1);
    assert.equal(late.rotations, 1);
  });

  it('a destination the uid cannot open is an error from afterPrivileges()', () => {
    const output = new LateTarget(
      new Memory(),
      () => {
        throw new Error('EACCES');
      },
      false,
    );
    assert.throws(() => new LogSink({ output }).afterPrivileges(), /EACCES/);
  });
});
