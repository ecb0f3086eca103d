import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDatagram, startXrayCollector, type XrayCollector } from '../../../local/xray-collector';

const header = '{"format":"json","version":1}';
const segment = { trace_id: '1-6b074bd0-aecdea51ca0791ab6d874a27', id: '951b89516558447b', name: 'fn', start_time: 1, end_time: 2 };

describe('the X-Ray daemon protocol', () => {
  it('reads the segment of a daemon datagram and refuses anything else', () => {
    expect(parseDatagram(`${header}\n${JSON.stringify(segment)}`)).toEqual(segment);
    expect(parseDatagram(JSON.stringify(segment))).toBeUndefined();
    expect(parseDatagram(`{"format":"json","version":2}\n${JSON.stringify(segment)}`)).toBeUndefined();
    expect(parseDatagram(`${header}\n{"name":"no ids"}`)).toBeUndefined();
    expect(parseDatagram(`${header}\nnot json`)).toBeUndefined();
  });
});

describe('startXrayCollector', () => {
  let collector: XrayCollector | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await collector?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores every segment sent to it over UDP as a JSON line', async () => {
    dir = mkdtempSync(join(tmpdir(), 'xray-collector-'));
    const file = join(dir, 'segments.jsonl');
    // An ephemeral port: bind one, free it, hand it to the collector.
    const probe = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve) => probe.bind(0, '127.0.0.1', () => resolve(probe.address().port)));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    collector = await startXrayCollector({ port, file });

    const sender = dgram.createSocket('udp4');
    const send = (text: string) => new Promise<void>((resolve, reject) => sender.send(text, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
    await send(`${header}\n${JSON.stringify(segment)}`);
    await send('garbage');
    await send(`${header}\n${JSON.stringify({ ...segment, id: '0f7a144153a35371', type: 'subsegment', parent_id: segment.id })}`);
    sender.close();

    await expect
      .poll(() => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { id: string }).id))
      .toEqual([segment.id, '0f7a144153a35371']);
  });
});
