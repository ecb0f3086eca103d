import type { Deployment, StackResource } from '../deployment';

/**
 * The kinds of dead-letter queue in DuckStore, each with its own redrive:
 * - `consumer`: an EventConsumer's DLQ. Holds the SQS messages its redrive
 *   policy moved (receives exhausted), the poison messages the consumer parked
 *   itself (`duckstore-reason`), and the events EventBridge could not deliver
 *   to the rule target (ERROR_CODE…). Every one is an event body for the
 *   consumer queue: redrive = move back to that queue.
 * - `forwarding`: the same, for a cross-region forwarder's queue.
 * - `outbox`: an outbox relay's stream on-failure destination and the rows the
 *   relay dead-lettered. The outbox table is the source of truth (a row still
 *   there is unpublished): redrive = re-publish the rows, then drop the notices.
 * - `scheduled`: a scheduled function's DLQ (deadline sweep, audit): what
 *   failed was one run; redrive = run the function again with the event.
 */
export const deadLetterQueueKinds = ['consumer', 'forwarding', 'outbox', 'scheduled'] as const;
export type DeadLetterQueueKind = (typeof deadLetterQueueKinds)[number];

export interface DeadLetterQueueInfo {
  region: string;
  /** The construct path without hash, e.g. `InventoryConsumerDeadLetters`. */
  name: string;
  kind: DeadLetterQueueKind;
  url: string;
  /** `consumer`, `forwarding`: the queue a redrive moves messages back to. */
  sourceQueueUrl?: string;
  /** `outbox`: the state table whose outbox rows the relay publishes. */
  tableName?: string;
  /** `scheduled`: the function a redrive runs again. */
  functionName?: string;
}

const hashSuffix = /[0-9A-F]{8}$/;
const withoutHash = (logicalId: string) => logicalId.replace(hashSuffix, '');

function kindOf(name: string): DeadLetterQueueKind {
  if (name.startsWith('ForwardTo')) return 'forwarding';
  if (name.endsWith('RelayDeadLetters')) return 'outbox';
  if (name.endsWith('SweeperDeadLetters') || name.endsWith('ScheduleDeadLetters')) return 'scheduled';
  return 'consumer';
}

function find(resources: StackResource[], type: string, predicate: (bareLogicalId: string) => boolean): string | undefined {
  return resources.find((resource) => resource.type === type && predicate(withoutHash(resource.logicalId)))?.physicalId;
}

/**
 * Every DLQ of the deployment and where its messages go back to, from the
 * stack resources alone: the construct ids (`<X>DeadLetters` next to `<X>Queue`,
 * `<Context>RelayDeadLetters` next to `<Context>TablesState`) are stable, being
 * part of the deployed contract.
 */
export function deadLetterQueuesOf(deployment: Deployment, region?: string): DeadLetterQueueInfo[] {
  return deployment.regions
    .filter((candidate) => region === undefined || candidate.region === region)
    .flatMap(({ region: queueRegion, resources }) =>
      resources
        .filter((resource) => resource.type === 'AWS::SQS::Queue' && /DeadLettersQueue$/.test(withoutHash(resource.logicalId)))
        .map((resource): DeadLetterQueueInfo => {
          const name = withoutHash(resource.logicalId).replace(/Queue$/, '');
          const kind = kindOf(name);
          const owner = name.replace(/(Sweeper|Schedule)?DeadLetters$/, '');
          const info: DeadLetterQueueInfo = { region: queueRegion, name, kind, url: resource.physicalId };
          if (kind === 'consumer' || kind === 'forwarding') {
            const source = find(resources, 'AWS::SQS::Queue', (id) => id === `${owner}Queue`);
            if (source) info.sourceQueueUrl = source;
          } else if (kind === 'outbox') {
            const table = find(resources, 'AWS::DynamoDB::Table', (id) => id === `${owner.replace(/Relay$/, '')}TablesState`);
            if (table) info.tableName = table;
          } else {
            const fn = name.endsWith('SweeperDeadLetters')
              ? find(resources, 'AWS::Lambda::Function', (id) => id === `${owner}Sweeper`)
              : find(resources, 'AWS::Lambda::Function', (id) => id === `${owner}Function`);
            if (fn) info.functionName = fn;
          }
          return info;
        }),
    );
}

/** The DLQs a `--queue` selector names: a name (any case, with or without `DeadLetters`), a kind, or `all`. */
export function selectDeadLetterQueues(queues: DeadLetterQueueInfo[], selector: string): DeadLetterQueueInfo[] {
  if (selector === 'all') return queues;
  if ((deadLetterQueueKinds as readonly string[]).includes(selector)) return queues.filter((queue) => queue.kind === selector);
  const wanted = selector.toLowerCase().replace(/deadletters$/, '').replace(/[^a-z0-9]/g, '');
  return queues.filter((queue) => queue.name.toLowerCase().replace(/deadletters$/, '').replace(/[^a-z0-9]/g, '') === wanted || queue.url === selector);
}
