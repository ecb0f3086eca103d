#!/usr/bin/env node
// The `duckstore` executable: registers tsx so the CLI runs from its TypeScript sources.
import { register } from 'tsx/esm/api';

// The SDK warns once per process that it will need Node 22 from 2027; the README says so once instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
