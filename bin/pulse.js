#!/usr/bin/env -S node --max-old-space-size=512 --heap-growing-percent=200
// The `pulse` command. TypeScript sources run through tsx's loader so a fresh clone needs no build step.
// The shebang's flags are Pulse's V8 flags (runtime/node-flags.ts says why).
import { register } from 'tsx/esm/api'

// The locked @aws-sdk release supports Node 20 (package.json `engines`); its notice that later
// releases will need Node 22 is for whoever upgrades the lockfile, not for every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
register()
await import('../cli/pulse.ts')
