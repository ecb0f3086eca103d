import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { idempotencyStoreFault } from './faults';

/**
 * The Powertools DynamoDB persistence layer with the `idempotency-store-unavailable`
 * fault: claiming or reading a record fails as an unreachable table would.
 * Powertools turns that into an IdempotencyPersistenceLayerError before the
 * handler runs, so the message is retried by SQS: neither lost nor handled twice.
 * (Completing a record is left alone: its failure would only park the record
 * IN_PROGRESS until it expires, which says nothing new about the consumers.)
 */
export class FaultInjectingPersistenceLayer extends DynamoDBPersistenceLayer {
  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    await idempotencyStoreFault();
    return super._putRecord(record);
  }

  protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    await idempotencyStoreFault();
    return super._getRecord(idempotencyKey);
  }
}
