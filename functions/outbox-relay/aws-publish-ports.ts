import { documentClient, eventBridge } from '#shared/aws-clients';
import { requireEnv } from '#shared/config';
import { putEventsReliably } from '#shared/publish-events';
import { publishTraced } from '#shared/tracing';
import { deleteOutboxRows } from './dynamodb-outbox';
import type { OutboxPublishPorts } from './publish-rows';

/** The relay's and the sweeper's publisher on AWS: the region's bus, and the table the published rows are deleted from. */
export function awsOutboxPublishPorts(component: 'outbox-relay' | 'outbox-sweeper'): OutboxPublishPorts {
  const tableName = requireEnv('TABLE_NAME');
  return {
    busName: requireEnv('EVENT_BUS_NAME'),
    // Each entry continues its own order's trace (the header its outbox row carries) through a segment of the component.
    publish: (entries) => publishTraced(entries, (traced) => putEventsReliably(eventBridge(), traced), { component, region: requireEnv('AWS_REGION') }),
    markPublished: deleteOutboxRows(tableName, documentClient()),
  };
}
