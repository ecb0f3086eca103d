import type { Logger } from '@aws-lambda-powertools/logger';
import { logger } from '#shared/powertools';
import type { Notifier } from '../domain/ports';

/**
 * The default channel only logs the message: DuckStore has no customer
 * addresses. A real system would call SES (SendTemplatedEmail with the
 * template and variables) or publish to SNS here, behind the same port.
 */
export function loggingNotifier(log: Pick<Logger, 'info'> = logger): Notifier {
  return {
    async send(message) {
      log.info('notification sent', { notification: message });
    },
  };
}
