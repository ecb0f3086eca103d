import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { breakerItemSchema, breakerKey, type BreakerItem } from '#contracts/dependency-breaker';
import { documentClient } from './aws-clients';
import type { SharedBreakerStore } from './resilience/shared-breaker';

/** A lost race is an answer (false), not an error: someone else made the transition. */
async function conditional(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/**
 * The shared breaker of one dependency as one item of the breaker table
 * (functions/contracts/dependency-breaker.ts). Every transition is one
 * conditional UpdateItem on the generation, so however many execution
 * environments race, each opening, closing and probe happens once.
 */
export function dynamoDbBreakerStore(tableName: string, dependency: string, client: Pick<DynamoDBDocumentClient, 'send'> = documentClient()): SharedBreakerStore {
  const Key = breakerKey(dependency);
  // DynamoDB refuses a name placeholder that the expressions do not use.
  const namesIn = (text: string) => Object.fromEntries(Object.entries({ '#state': 'state', '#generation': 'generation' }).filter(([placeholder]) => text.includes(placeholder)));
  const update = (expression: string, condition: string, values: Record<string, unknown>) =>
    client.send(
      new UpdateCommand({
        TableName: tableName,
        Key,
        UpdateExpression: expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: namesIn(`${expression} ${condition}`),
        ExpressionAttributeValues: values,
      }),
    );
  return {
    async read(): Promise<BreakerItem | undefined> {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }));
      const parsed = breakerItemSchema.safeParse(Item);
      return parsed.success ? parsed.data : undefined;
    },
    open: (generation, { at, reason, firstProbeAt }) =>
      conditional(
        update(
          'SET #state = :open, #generation = :next, openedAt = :at, reason = :reason, nextProbeAt = :probe, paused = :true, probes = :zero REMOVE lastProbeAt, lastProbeOutcome',
          // A first opening finds no item at all.
          '(attribute_not_exists(#generation) AND :current = :zero) OR (#state = :closed AND #generation = :current)',
          { ':open': 'open', ':closed': 'closed', ':next': generation + 1, ':current': generation, ':at': at, ':reason': reason, ':probe': firstProbeAt, ':true': true, ':zero': 0 },
        ),
      ),
    close: (generation, { reason }) =>
      conditional(
        update('SET #state = :closed, #generation = :next, reason = :reason REMOVE nextProbeAt', '#state = :open AND #generation = :current', {
          ':open': 'open',
          ':closed': 'closed',
          ':next': generation + 1,
          ':current': generation,
          ':reason': reason,
        }),
      ),
    claimProbe: (generation, due, next) =>
      conditional(
        update('SET nextProbeAt = :next ADD probes :one', '#state = :open AND #generation = :current AND nextProbeAt = :due', {
          ':open': 'open',
          ':current': generation,
          ':due': due,
          ':next': next,
          ':one': 1,
        }),
      ),
    async recordProbe(generation, { at, outcome }) {
      await conditional(
        update('SET lastProbeAt = :at, lastProbeOutcome = :outcome', '#generation = :current', { ':current': generation, ':at': at, ':outcome': outcome.slice(0, 500) }),
      );
    },
    async markResumed(generation, rampUntil) {
      await conditional(
        rampUntil === undefined
          ? update('SET paused = :false REMOVE rampUntil', '#generation = :current', { ':current': generation, ':false': false })
          : update('SET paused = :false, rampUntil = :ramp', '#generation = :current', { ':current': generation, ':false': false, ':ramp': rampUntil }),
      );
    },
    async endRamp(generation) {
      await conditional(update('REMOVE rampUntil', '#state = :closed AND #generation = :current', { ':closed': 'closed', ':current': generation }));
    },
  };
}
