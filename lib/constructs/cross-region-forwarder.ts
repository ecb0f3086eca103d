import { Arn, Duration, Stack } from 'aws-cdk-lib';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { EventContract } from '../../functions/contracts/envelope';
import { EventConsumer } from './event-consumer';

export interface CrossRegionForwarderProps {
  readonly bus: IEventBus;
  /** The region whose bus receives the events. */
  readonly targetRegion: string;
  /** Name of the DuckStore bus in the target region (the same name in every region). */
  readonly targetBusName: string;
  readonly contracts: readonly EventContract[];
}

/**
 * Forwards this region's events that a context in another region consumes.
 * Instead of a rule whose target is the remote bus, a queue sits in between:
 * it buffers for as long as the other region is unreachable (14 days counting
 * the DLQ), it can be inspected and redriven like every other queue, and it
 * behaves the same on AWS and on local emulators that drop cross-region
 * targets. Only events with `originRegion` = this region are forwarded, so an
 * event never bounces back.
 */
export class CrossRegionForwarder extends Construct {
  readonly consumer: EventConsumer;

  constructor(scope: Construct, id: string, props: CrossRegionForwarderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const targetBusArn = Arn.format({ service: 'events', region: props.targetRegion, resource: 'event-bus', resourceName: props.targetBusName }, stack);
    this.consumer = new EventConsumer(this, 'Forwarding', {
      bus: props.bus,
      contracts: props.contracts,
      onlyFromRegion: stack.region,
      // A partition burns receives quickly; ten keeps short blips out of the DLQ.
      maxReceiveCount: 10,
      function: {
        entry: 'cross-region-forwarder/handler.ts',
        serviceName: 'cross-region-forwarder',
        timeout: Duration.seconds(20),
        environment: { TARGET_REGION: props.targetRegion, TARGET_EVENT_BUS_ARN: targetBusArn },
      },
    });
    EventBus.fromEventBusArn(this, 'TargetBus', targetBusArn).grantPutEventsTo(this.consumer.function);
  }
}
