import { randomUUID } from 'node:crypto';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord, SQSRecord } from 'aws-lambda';

/** An SQS record as Lambda's event source mapping delivers it. */
export function sqsRecord(body: string, messageId: string = randomUUID()): SQSRecord {
  return {
    messageId,
    receiptHandle: `AQEB${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1741944414000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1741944414010',
    },
    messageAttributes: {},
    md5OfBody: '0'.repeat(32),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:duckstore-forwarder-buffer',
    awsRegion: 'us-east-1',
  };
}

/** The SDK marshals binary as Uint8Array where the Lambda typings say string; our items hold no binary. */
const toStreamImage = (item: Record<string, unknown>) =>
  marshall(item, { removeUndefinedValues: true }) as unknown as Record<string, AttributeValue>;

/**
 * A DynamoDB stream record of a NEW_AND_OLD_IMAGES stream. INSERT carries only
 * the new image, REMOVE only the old one, MODIFY both (the same item here).
 */
export function streamRecord(
  item: Record<string, unknown>,
  spec: { eventName?: 'INSERT' | 'MODIFY' | 'REMOVE'; sequenceNumber: string },
): DynamoDBRecord {
  const eventName = spec.eventName ?? 'INSERT';
  const image = toStreamImage(item);
  return {
    eventID: randomUUID().replaceAll('-', ''),
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: 1741944413,
      Keys: toStreamImage({ pk: item.pk }),
      ...(eventName === 'REMOVE' ? {} : { NewImage: image }),
      ...(eventName === 'INSERT' ? {} : { OldImage: image }),
      SequenceNumber: spec.sequenceNumber,
      SizeBytes: 512,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/duckstore-orders/stream/2025-03-14T00:00:00.000',
  };
}
