// One cold start, measured inside a fresh `node` process (spawned by cli/bench/cold-start.ts):
// argv: <bundle file> <event JSON file>. Prints one JSON line with milliseconds since the
// process started (performance.timeOrigin): when this file began, when the bundle was loaded
// (the function's INIT), and when its first invocation completed.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS script run by plain node, like the Lambda runtime loads a bundle */
'use strict';
const started = performance.now();
const [bundle, eventFile] = process.argv.slice(2);
const event = JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8'));
const beforeLoad = performance.now();
const handler = require(bundle).handler;
const loaded = performance.now();
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: require('node:crypto').randomUUID(),
  logGroupName: `/aws/lambda/${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done() {},
  fail() {},
  succeed() {},
};
const report = (outcome) => {
  process.stdout.write(`\n${JSON.stringify({ started, loadMs: loaded - beforeLoad, initMs: loaded, firstInvocationMs: performance.now() - loaded, totalMs: performance.now(), ...outcome })}\n`);
  process.exit(0);
};
Promise.resolve()
  .then(() => handler(event, context))
  .then(
    (result) => report({ ok: true, status: result && typeof result === 'object' && 'statusCode' in result ? result.statusCode : undefined }),
    (error) => report({ ok: false, error: `${error && error.name}: ${error && error.message}` }),
  );
