import { describe, expect, it } from 'vitest';
import { eventMetadataSchema } from '#contracts/envelope';
import { nameBasedUuid } from '#shared/ids';

const dnsNamespace = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

describe('nameBasedUuid', () => {
  it('matches the version 5 example of RFC 9562 (DNS namespace, www.example.com)', () => {
    expect(nameBasedUuid(dnsNamespace, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('gives the same name the same id, and another name another id', () => {
    expect(nameBasedUuid(dnsNamespace, 'order-1')).toBe(nameBasedUuid(dnsNamespace, 'order-1'));
    expect(nameBasedUuid(dnsNamespace, 'order-2')).not.toBe(nameBasedUuid(dnsNamespace, 'order-1'));
  });

  it('makes ids the event envelope accepts as an eventId', () => {
    const eventId = nameBasedUuid(dnsNamespace, 'ce866e34-ccfa-4320-9ac5-3ead4b519ab2');

    expect(eventMetadataSchema.shape.eventId.safeParse(eventId).success).toBe(true);
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => nameBasedUuid('orders', 'order-1')).toThrow(/namespace must be a UUID/);
  });
});
