import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { loadDeployment } from './deployment';
import { localClientConfig } from './aws';
const d = loadDeployment();
for (const [name, c] of Object.entries(d.contexts)) {
  const db = new DynamoDBClient(localClientConfig(d.endpoint, c.region));
  const { Items = [] } = await db.send(new ScanCommand({ TableName: c.stateTable }));
  console.log(`== ${name} (${c.region}) ${Items.length} rows`);
  for (const i of Items) { const u = unmarshall(i); console.log('  ', u.pk, u.kind, u.status ?? '', u.available ?? '', u.reason ?? u.declineReason ?? ''); }
  const sqs = new SQSClient(localClientConfig(d.endpoint, c.region));
  for (const url of [c.consumer.queueUrl, c.consumer.deadLetterQueueUrl, c.relay?.deadLetterQueueUrl].filter(Boolean) as string[]) {
    const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'RedrivePolicy'] }));
    console.log('   queue', url.split('/').pop(), a.Attributes?.ApproximateNumberOfMessages, a.Attributes?.ApproximateNumberOfMessagesNotVisible, a.Attributes?.RedrivePolicy ? 'redrive' : 'NO-REDRIVE');
  }
}
if (d.providerSimulator) {
  const db = new DynamoDBClient(localClientConfig(d.endpoint, d.providerSimulator.region));
  const { Items = [] } = await db.send(new ScanCommand({ TableName: d.providerSimulator.ledgerTable }));
  console.log('== ledger', Items.map((i) => JSON.stringify(unmarshall(i))).join('\n  '));
}
for (const f of d.forwarders) {
  const sqs = new SQSClient(localClientConfig(d.endpoint, f.fromRegion));
  for (const url of [f.queueUrl, f.deadLetterQueueUrl]) {
    const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    console.log('   fwd queue', f.fromRegion, url.split('/').pop(), a.Attributes?.ApproximateNumberOfMessages, a.Attributes?.ApproximateNumberOfMessagesNotVisible);
  }
}
