import { CreateScheduleCommand, DeleteScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { OrderTimedOut } from '#contracts/events';
import { scheduler } from '#shared/aws-clients';
import { eventBridgeMessageBody } from '#shared/eventbridge-message';
import type { DeadlineTimers } from '../domain/ports';

/** Where a timer delivers, and as whom. Only the function that sets timers needs it. */
export interface TimerTarget {
  /** The orders consumer's queue: the timer's event goes straight there, as a rule target would deliver it. */
  queueArn: string;
  /** Where EventBridge Scheduler puts an event it could not deliver: the orders consumer's DLQ, so one redrive covers it. */
  deadLetterQueueArn: string;
  /** The execution role EventBridge Scheduler sends with (sqs:SendMessage on those two queues, nothing else). */
  roleArn: string;
}

export class TimerTargetNotConfiguredError extends Error {
  override readonly name = 'TimerTargetNotConfiguredError';
}

/**
 * `at()` takes whole seconds, no zone suffix (the zone is a separate field).
 * Rounded up, so a timer never fires before its moment.
 */
export const atExpression = (fireAt: Date): string => `at(${new Date(Math.ceil(fireAt.getTime() / 1000) * 1000).toISOString().slice(0, 19)})`;

/*
 * Errors are told apart by name rather than class: the name is the service's
 * error code, which every emulator answers too.
 */

/**
 * Deadline timers as EventBridge Scheduler one-time schedules, one per order,
 * named after the order id, in the orders context's schedule group. Flexible
 * window off (the deadline is the deadline) and deleted by Scheduler once
 * fired. The target is the orders consumer's SQS queue rather than the bus:
 * the event is orders' own, for orders only, and the SQS target delivers the
 * Input as the message body on AWS and on ministack alike (ministack 1.5.33
 * ignores EventBridgeParameters, so a bus target arrives as
 * `aws.scheduler`/`Scheduled Event` and matches no rule).
 */
export function schedulerDeadlineTimers(
  config: { groupName: string; region: string; target?: TimerTarget },
  client: Pick<SchedulerClient, 'send'> = scheduler(),
): DeadlineTimers {
  return {
    async set(timer) {
      const target = config.target;
      if (!target) throw new TimerTargetNotConfiguredError('this function may clear deadline timers but not set them (no timer target configured)');
      try {
        await client.send(
          new CreateScheduleCommand({
            Name: timer.orderId,
            GroupName: config.groupName,
            Description: `Saga deadline of order ${timer.orderId} (${timer.event.data.deadline})`,
            ScheduleExpression: atExpression(timer.fireAt),
            ScheduleExpressionTimezone: 'UTC',
            FlexibleTimeWindow: { Mode: 'OFF' },
            ActionAfterCompletion: 'DELETE',
            Target: {
              Arn: target.queueArn,
              RoleArn: target.roleArn,
              Input: eventBridgeMessageBody(OrderTimedOut, timer.event, config.region),
              DeadLetterConfig: { Arn: target.deadLetterQueueArn },
              // As for the bus rules' targets: SQS refuses only on misconfiguration, which should surface within the hour.
              RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
            },
          }),
        );
        return 'set';
      } catch (error) {
        // The name is the order id: a schedule by that name is this order's timer, set by an earlier delivery.
        if ((error as Error).name === 'ConflictException') return 'already-set';
        throw error;
      }
    },

    async clear(orderId) {
      try {
        await client.send(new DeleteScheduleCommand({ Name: orderId, GroupName: config.groupName }));
      } catch (error) {
        // Already fired (and deleted by Scheduler), or never set: nothing to clear.
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      }
    },
  };
}
