import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { describe, expect, it, vi } from 'vitest';
import { currentTraceHeader, formatTraceHeader, parseTraceHeader, publishTraced, traceUnitOfWork } from '#shared/tracing';

const header = 'Root=1-67d3f5ad-0a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;Sampled=1';

describe('trace headers', () => {
  it('reads Root, Parent and Sampled in any order, and writes them back', () => {
    expect(parseTraceHeader('Sampled=0;Parent=53995c3f42cd8ad8;Root=1-67d3f5ad-0a1b2c3d4e5f60718293a4b5')).toEqual({ root: '1-67d3f5ad-0a1b2c3d4e5f60718293a4b5', parent: '53995c3f42cd8ad8', sampled: false });
    expect(formatTraceHeader(parseTraceHeader(header)!)).toBe(header);
    expect(formatTraceHeader({ root: '1-67d3f5ad-0a1b2c3d4e5f60718293a4b5' })).toBe('Root=1-67d3f5ad-0a1b2c3d4e5f60718293a4b5;Sampled=1');
  });

  it('has no trace without a valid root, and ignores a malformed parent', () => {
    expect(parseTraceHeader(undefined)).toBeUndefined();
    expect(parseTraceHeader('Parent=53995c3f42cd8ad8')).toBeUndefined();
    expect(parseTraceHeader('Root=nonsense;Parent=53995c3f42cd8ad8')).toBeUndefined();
    expect(parseTraceHeader('Root=1-67d3f5ad-0a1b2c3d4e5f60718293a4b5;Parent=xyz')).toEqual({ root: '1-67d3f5ad-0a1b2c3d4e5f60718293a4b5' });
  });
});

describe('with tracing off (outside Lambda, or POWERTOOLS_TRACE_ENABLED=false)', () => {
  it('runs the work as it is, and there is no current header', async () => {
    const work = vi.fn(async () => 'done');
    await expect(traceUnitOfWork({ header, orderId: 'o-1', eventType: 'OrderPlaced', context: 'inventory', component: 'inventory-consumer' }, work)).resolves.toBe('done');
    expect(work).toHaveBeenCalledOnce();
    expect(currentTraceHeader()).toBeUndefined();
  });

  it('publishes the entries unchanged, trace headers included', async () => {
    const entries: PutEventsRequestEntry[] = [{ Source: 'duckstore.orders', DetailType: 'OrderPlaced', Detail: '{}', TraceHeader: header }];
    const publish = vi.fn(async () => []);
    await publishTraced(entries, publish, { component: 'outbox-relay', region: 'us-east-1' });
    expect(publish).toHaveBeenCalledWith(entries);
  });
});
