import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { duckStoreTable } from './duckstore-table';
import { Construct } from 'constructs';
import { controlsTableVariable } from '../../functions/contracts/controls';
import { DuckStoreFunction } from './duckstore-function';
import { stackOutput } from './stack-output';

/**
 * The region's run-time control document (functions/shared/controls.ts): one
 * item in a small table that the operator CLI writes (`duckstore faults`) and
 * every function of the stack reads, cached for about two seconds.
 *
 * A DynamoDB item rather than an SSM parameter: every bundle already carries
 * the DynamoDB client, so reading it adds nothing to a bundle, and the CLI can
 * change one field of it with an UpdateItem instead of rewriting the whole
 * document. Deployed only with `-c duckstore:faultInjection=true`: without
 * it no function has the table in its environment and none reads anything.
 */
export class FaultControls extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = duckStoreTable(this, 'Table', {
      // The document is operator input for a test deployment, not data.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    stackOutput(this, 'ControlsTableName', this.table.tableName);
  }

  /** Gives every DuckStore function of the stack the table's name and read access. Call it once all are created. */
  attachToFunctionsOf(stack: Stack): void {
    for (const fn of stack.node.findAll()) {
      if (!(fn instanceof DuckStoreFunction)) continue;
      fn.addEnvironment(controlsTableVariable, this.table.tableName);
      this.table.grant(fn, 'dynamodb:GetItem');
    }
  }
}
