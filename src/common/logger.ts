import { createWriteStream, mkdirSync, WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { LoggerService } from '@nestjs/common';

export interface LogSettings {
  debug: boolean;
  logFile?: string;
  logDir?: string;
  /** Used as the file name under log_dir, as oslo.log does (`nova-compute.log`). */
  programName: string;
}

type Level = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

/** Nest's own start-up chatter: shown only with debug = true. */
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'NestMicroservice', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * oslo.log-style lines: `2026-11-21 01:30:00.123 4242 INFO nova.conductor [-] message`, to stdout,
 * or to `log_file` (or `log_dir/<program>.log`) when set. Never prints stack traces for expected
 * errors; unexpected ones get their stack only in debug mode.
 */
export class NovaLogger implements LoggerService {
  private readonly out: NodeJS.WritableStream | WriteStream;

  constructor(private readonly settings: LogSettings) {
    const file = settings.logFile
      ? settings.logDir && !settings.logFile.startsWith('/') ? join(settings.logDir, settings.logFile) : settings.logFile
      : settings.logDir ? join(settings.logDir, `${settings.programName}.log`) : undefined;
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      this.out = createWriteStream(file, { flags: 'a' });
    } else {
      this.out = process.stdout;
    }
  }

  log(message: unknown, context?: string): void {
    if (context && FRAMEWORK_CONTEXTS.has(context)) this.debug(message, context);
    else this.write('INFO', message, context);
  }
  warn(message: unknown, context?: string): void {
    this.write('WARNING', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    // Nest passes (message, stack, context) or (message, context).
    const ctx = context ?? (stackOrContext && !stackOrContext.includes('\n') ? stackOrContext : undefined);
    // Start-up failures are reported once, by main, as one clear line.
    if (ctx === 'ExceptionHandler' || (ctx && FRAMEWORK_CONTEXTS.has(ctx))) return this.debug(message, ctx);
    this.write('ERROR', message, ctx);
    if (this.settings.debug && stackOrContext && stackOrContext.includes('\n')) this.write('DEBUG', stackOrContext, ctx);
  }
  debug(message: unknown, context?: string): void {
    if (this.settings.debug) this.write('DEBUG', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.debug(message, context);
  }

  private write(level: Level, message: unknown, context?: string): void {
    const ts = new Date().toISOString().replace('T', ' ').replace('Z', '');
    const text = message instanceof Error ? `${message.name}: ${message.message}` : String(message);
    const name = context ? `nova.${context.replace(/^nova\./, '')}` : 'nova';
    this.out.write(`${ts} ${process.pid} ${level} ${name} [-] ${text}\n`);
  }
}
