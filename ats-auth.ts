#!/usr/bin/env node
// ats-auth: client and server of the ats.auth token service. The work is in lib/.
import { main } from './lib/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
