#!/usr/bin/env node
// node-nss command line. The commands load the native addon only when they run, so --help and --version work
// (and an addon that cannot load is one clear line) on any machine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CommandSpec, type ParsedCommand, UsageError, commandHelp, parseCommand } from './args.js';
import { certsSpec, connectSpec, demoSpec, modulesSpec, serveSpec, verifySpec } from './specs.js';

interface Command {
  summary: string;
  spec: CommandSpec;
  run: (parsed: ParsedCommand) => Promise<void> | void;
}

// The specs load no native code; each command loads its module (and with it the addon) when it runs.
const COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'make a throwaway database, run a TLS server and client, show what each saw',
    spec: demoSpec,
    run: async () => (await import('./demo.js')).runDemo(),
  },
  connect: {
    summary: 'a TLS client, like tstclnt / openssl s_client',
    spec: connectSpec,
    run: async (parsed) => (await import('./tls-commands.js')).connectCommand(parsed),
  },
  serve: {
    summary: 'a TLS echo or HTTP server, like selfserv',
    spec: serveSpec,
    run: async (parsed) => (await import('./tls-commands.js')).serveCommand(parsed),
  },
  certs: {
    summary: 'certificates and trust of a database, like certutil -L (-K: keys)',
    spec: certsSpec,
    run: async (parsed) => (await import('./db-commands.js')).certs(parsed),
  },
  verify: {
    summary: 'verify a certificate for a usage, like vfychain',
    spec: verifySpec,
    run: async (parsed) => (await import('./db-commands.js')).verify(parsed),
  },
  modules: {
    summary: 'PKCS #11 modules and their tokens, like modutil -list',
    spec: modulesSpec,
    run: async (parsed) => (await import('./db-commands.js')).modules(parsed),
  },
};

function packageVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

const USAGE = [
  'usage: node-nss <command> [options]',
  '',
  'Mozilla NSS from the command line: TLS clients and servers, NSS databases, PKCS #11 tokens.',
  '',
  'commands:',
  ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`),
  '',
  '  node-nss <command> --help     the options of a command',
  '  node-nss --version            the versions of node-nss, NSS and NSPR',
  '',
  'Exit status: 0 success, 1 failure (the NSS error code is printed), 2 a wrong command line.',
  '',
].join('\n');

async function printVersion(): Promise<void> {
  process.stdout.write(`node-nss ${packageVersion()}\n`);
  try {
    const { version } = await import('../nss.js');
    process.stdout.write(`NSS ${version.nss}\nNSPR ${version.nspr}\n`);
  } catch (err) {
    process.stdout.write(`NSS: not loaded (${err instanceof Error ? err.message : String(err)})\n`);
  }
}

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? args[0] : undefined;
    const command = topic === undefined ? undefined : COMMANDS[topic];
    process.stdout.write(command ? commandHelp(command.spec) : USAGE);
    return;
  }
  if (name === '-V' || name === '--version') {
    await printVersion();
    return;
  }
  const command = COMMANDS[name];
  if (command === undefined) throw new UsageError(`unknown command ${name}`);
  // A wrong command line, found by the parser or by the command itself, comes with the command's help.
  try {
    const parsed = parseCommand(command.spec, args);
    if (parsed === 'help') {
      process.stdout.write(commandHelp(command.spec));
      return;
    }
    await command.run(parsed);
  } catch (err) {
    if (err instanceof UsageError) err.message = `${err.message}\n\n${commandHelp(command.spec)}`;
    throw err;
  }
}

/** One line for any failure: `node-nss: CODE: message` for NSS's errors, never a stack trace. */
function report(err: unknown): void {
  if (err instanceof UsageError) {
    process.stderr.write(
      `node-nss: ${err.message.endsWith('\n') ? err.message : `${err.message}\n\n${USAGE}`}`,
    );
    process.exitCode = 2;
    return;
  }
  const e = err as { code?: unknown; message?: unknown };
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof e.code === 'string' && !message.startsWith(e.code) ? `${e.code}: ` : '';
  process.stderr.write(`node-nss: ${code}${message.replace(/^node-nss: /, '')}\n`);
  process.exitCode = 1;
}

main(process.argv.slice(2))
  .catch(report)
  .finally(async () => {
    try {
      const nss = require.cache[require.resolve('../nss.js')] ? await import('../nss.js') : undefined;
      if (nss?.isInitialized()) nss.shutdown();
    } catch {
      // the process is ending; NSS state does not outlive it
    }
  });
