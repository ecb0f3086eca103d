import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, ProjectionType, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccountRecovery, Mfa, UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { breakerTableVariable } from '../../functions/contracts/dependency-breaker';
import { pendingOrdersIndex } from '../../functions/contracts/pending-orders-index';
import { ContextService, sagaDeadlineMarginEnvironment, type ContextServiceProps, type DeadlineAwareProps } from './context-service';
import { DuckStoreFunction } from './duckstore-function';
import { OrderDeadlines } from './order-deadlines';
import { stackOutput } from './stack-output';

/** How callers of the orders API authenticate. */
export type ApiAuth = 'cognito' | 'none';

export interface OrdersServiceProps extends ContextServiceProps, DeadlineAwareProps {
  /** @default 'cognito': a Cognito user pool JWT authorizer. 'none' is for the local cloud only. */
  readonly auth?: ApiAuth;
  /** How long an order's saga may take; a still-PENDING order is then cancelled (SAGA_DEADLINE) and compensated. @default 5 minutes */
  readonly sagaDeadline?: Duration;
  /** How long past its deadline an order waits for its own timer before the sweep cancels it. @default 1 minute */
  readonly deadlineSweepGrace?: Duration;
  /**
   * POST /orders answers 503 with Retry-After while this many orders are in
   * flight (PENDING), under the resilience profiles that shed (the default
   * one does); see docs/resilience.md. @default 1000
   */
  readonly loadSheddingMaxInFlight?: number;
  /**
   * Admission control (docs/resilience.md): POST /orders is refused once the
   * oldest orders in flight are expected to wait this share of the time a
   * saga has (deadline − margin), or the payment breaker (when readable in
   * this region) has been open that long. @default 0.5
   */
  readonly admissionBudgetFraction?: number;
  /** Reserve concurrency 1 for the deadline sweep (runs never overlap; overlapping runs are harmless, only wasted). @default false */
  readonly reservedConcurrency?: boolean;
  /** With the Cognito authorizer, the JWT claim that is the customer: a body `customerId` that differs is refused (403). @default 'sub' */
  readonly customerClaim?: string;
}

/**
 * The access log line of the HTTP API: HTTP API `$context` variables only
 * (API Gateway developer guide, "Customize HTTP API access logs"; the REST
 * API's resourcePath, identity.user or identity.caller log nothing here).
 */
export const httpApiAccessLogFields = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  error: '$context.error.message',
  errorType: '$context.error.responseType',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
} as const;

/** A fraction of (0, 1] as the whole percent the API reads; anything else is a mistake in the props. */
function admissionBudgetPercent(fraction: number): number {
  const percent = Math.round(fraction * 100);
  if (!(fraction > 0 && fraction <= 1) || Math.abs(percent - fraction * 100) > 1e-9) throw new Error(`admissionBudgetFraction must be a whole percent in (0, 1], got ${fraction}`);
  return percent;
}

/** The orders context: the HTTP API, the orders table with its outbox, the consumer of saga outcomes, and the saga deadline. */
export class OrdersService extends ContextService {
  readonly api: HttpApi;
  readonly apiFunction: DuckStoreFunction;
  readonly userPool?: UserPool;
  readonly deadlines: OrderDeadlines;

  constructor(scope: Construct, id: string, props: OrdersServiceProps) {
    super(scope, id, props, { context: 'orders', consumerEntry: 'orders/handlers/saga-events.ts', emitsEvents: true });
    const region = Stack.of(this).region;

    // Sparse: only PENDING order rows carry the partition key, so the deadline sweep reads in-flight orders only.
    this.tables.state.addGlobalSecondaryIndex({
      indexName: pendingOrdersIndex.indexName,
      partitionKey: { name: pendingOrdersIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: pendingOrdersIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    this.deadlines = new OrderDeadlines(this, 'Deadlines', {
      bus: props.bus,
      table: this.tables.state,
      idempotencyTable: this.tables.idempotency,
      timerTarget: this.consumer.queue,
      timerDeadLetterQueue: this.consumer.deadLetterQueue.queue,
      ...(props.deadlineSweepGrace ? { sweepGrace: props.deadlineSweepGrace } : {}),
      reserveSweeperConcurrency: props.reservedConcurrency ?? false,
    });
    this.deadlines.grantClearTimers(this.consumer.function);
    this.apiFunction = new DuckStoreFunction(this, 'ApiFunction', {
      entry: 'orders/handlers/api-entry.ts',
      serviceName: 'orders',
      timeout: Duration.seconds(10),
      environment: {
        TABLE_NAME: this.tables.state.tableName,
        SAGA_DEADLINE_SECONDS: String((props.sagaDeadline ?? Duration.minutes(5)).toSeconds()),
        LOAD_SHED_MAX_IN_FLIGHT: String(props.loadSheddingMaxInFlight ?? 1000),
        ADMISSION_BUDGET_PERCENT: String(admissionBudgetPercent(props.admissionBudgetFraction ?? 0.5)),
        ...sagaDeadlineMarginEnvironment(props),
      },
    });
    // Read-write on the table includes its indexes: load shedding counts the pending-orders index.
    this.tables.state.grantReadWriteData(this.apiFunction);

    let authorizer: HttpJwtAuthorizer | undefined;
    if ((props.auth ?? 'cognito') === 'cognito') {
      // The handler takes the customer from this claim of the verified token (functions/orders/handlers/api.ts).
      this.apiFunction.addEnvironment('CUSTOMER_CLAIM', props.customerClaim ?? 'sub');
      this.userPool = new UserPool(this, 'Users', {
        selfSignUpEnabled: false,
        signInAliases: { email: true },
        passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
        accountRecovery: AccountRecovery.EMAIL_ONLY,
        mfa: Mfa.OPTIONAL,
        mfaSecondFactor: { otp: true, sms: false },
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason: 'MFA is optional (TOTP) so that non-interactive API clients (load generators, the operator CLI) can sign in; human accounts should enrol TOTP.',
      });
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason: 'The Plus feature plan (threat protection) is priced per MAU; the API has edge throttling and idempotency, and the plan can be switched on per deployment.',
      });
      const client = new UserPoolClient(this, 'ApiClient', {
        userPool: this.userPool,
        authFlows: { userSrp: true, userPassword: true },
        generateSecret: false,
      });
      authorizer = new HttpJwtAuthorizer('Cognito', `https://cognito-idp.${region}.amazonaws.com/${this.userPool.userPoolId}`, {
        jwtAudience: [client.userPoolClientId],
      });
      stackOutput(this, 'UserPoolId', this.userPool.userPoolId);
      stackOutput(this, 'UserPoolClientId', client.userPoolClientId);
    }

    this.api = new HttpApi(this, 'Api', { description: 'DuckStore orders API', createDefaultStage: false });
    const integration = new HttpLambdaIntegration('Orders', this.apiFunction);
    for (const [path, method] of [['/orders', HttpMethod.POST], ['/orders/{orderId}', HttpMethod.GET]] as const) {
      this.api.addRoutes({ path, methods: [method], integration, ...(authorizer ? { authorizer } : {}) });
    }
    if (!authorizer) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'Deployed with duckstore:apiAuth=none, which is meant for the local cloud only (it has no Cognito to verify tokens against); AWS deployments default to the Cognito JWT authorizer.',
      });
    }
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY })),
        format: AccessLogFormat.custom(JSON.stringify(httpApiAccessLogFields)),
      },
      // A burst above this is refused with 429 at the edge, before it reaches Lambda or DynamoDB.
      throttle: { burstLimit: 200, rateLimit: 100 },
    });
    stackOutput(this, 'ApiUrl', this.api.apiEndpoint);
    stackOutput(this, 'ApiId', this.api.apiId);
  }

  /**
   * Lets admission control see the payment dependency's shared breaker
   * (functions/contracts/dependency-breaker.ts): read only, and only where the
   * table is in this region, as in a single-region topology.
   */
  admitOnBreaker(table: ITable): void {
    this.apiFunction.addEnvironment(breakerTableVariable, table.tableName);
    table.grantReadData(this.apiFunction);
  }
}
