import { createHash } from 'node:crypto';

/**
 * A name-based UUID (version 5, RFC 9562 §5.5): the same name in the same
 * namespace always gives the same id. For an event that several producers may
 * emit for one fact (a timer and the sweep that backs it up), so that every
 * copy carries one eventId and the consumers' idempotency sees one event.
 */
export function nameBasedUuid(namespace: string, name: string): string {
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (namespaceBytes.length !== 16) throw new Error(`namespace must be a UUID, got ${namespace}`);
  const bytes = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
