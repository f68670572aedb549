/**
 * Turns on the metrics outputs the configuration asks for (metrics.file, metrics.pushgateway,
 * metrics.port): subscribes the metrics to the session's events, serves /metrics while the command
 * runs, and writes the textfile and pushes once it has ended, success or not. Metrics never change
 * a command's outcome: an output that fails is a warning on stderr.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { MigratorEvent } from '../core/events.js';
import { redactUrl } from '../config/redact.js';
import type { Config } from '../config/schema.js';
import type { Lifecycle } from './io.js';

export interface MetricsSetup {
  readonly config: Pick<Config, 'metrics' | 'environment'>;
  readonly logger: Logger;
  readonly subscribe: (listener: (event: MigratorEvent) => void) => void;
  readonly onFinish: Lifecycle['onFinish'];
  /** This machine: the Pushgateway's `instance` grouping label. */
  readonly host: string;
  /** Resolves a relative metrics.file. */
  readonly cwd: string;
}

/** How long a push may take before it is given up (a warning). */
const PUSH_TIMEOUT_MS = 10_000;

/** Does nothing, and loads nothing, when no output is configured. */
export async function startMetrics(setup: MetricsSetup): Promise<void> {
  const { file, pushgateway, port } = setup.config.metrics;
  if (file === undefined && pushgateway === undefined && port === undefined) return;
  const { logger } = setup;
  const environment = setup.config.environment;
  const [{ createMetrics }, delivery] = await Promise.all([import('../observability/metrics.js'), import('../observability/metrics-delivery.js')]);
  const metrics = await createMetrics({ environment });
  setup.subscribe(metrics.listener);
  const server = port === undefined
    ? undefined
    : await delivery.serveMetrics(port, () => metrics.exposition(), metrics.contentType).then(
      (started) => {
        logger.info({ port: started.port, path: '/metrics' }, `serving metrics on port ${started.port} while the command runs`);
        return started;
      },
      (error: unknown) => void logger.warn({ port, err: message(error) }, 'cannot serve metrics: the command runs without the /metrics endpoint'),
    );
  setup.onFinish(async ({ exitCode }) => {
    await server?.close();
    metrics.finish({ exitCode });
    // A command that measured nothing (create, lint, config) leaves the file and the gateway alone.
    if (!metrics.recorded()) return;
    if (file !== undefined) {
      const target = path.resolve(setup.cwd, file);
      await delivery.writeTextfile(target, await metrics.exposition(), environment).then(
        () => logger.debug({ file: target }, 'metrics file written'),
        (error: unknown) => logger.warn({ file: target, err: message(error) }, 'cannot write the metrics file'),
      );
    }
    if (pushgateway !== undefined) {
      const target = { url: pushgateway, job: 'migrator', grouping: [['instance', setup.host], ['environment', environment]] as const, timeoutMs: PUSH_TIMEOUT_MS };
      await delivery.pushMetrics(target, await metrics.exposition({ environmentLabel: false }), metrics.contentType).then(
        () => logger.debug({ pushgateway: redactUrl(pushgateway) }, 'metrics pushed'),
        (error: unknown) => logger.warn({ pushgateway: redactUrl(pushgateway), err: message(error) }, 'cannot push metrics to the Pushgateway'),
      );
    }
  });
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
