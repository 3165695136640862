import type { Command } from '../command.ts';
import { numberFlag, parseFlags } from '../command.ts';

const usage = `Usage: bin/fraud api [--port P] [--host H]

Runs the synchronous decision API: POST /v1/decisions decides one transaction in-line
(same pipeline as the stream) and publishes the same events; /healthz, /readyz, /metrics.
Port and host default to FRAUD_API_PORT (8080) and FRAUD_API_HOST (127.0.0.1).
`;

const command: Command = {
  name: 'api',
  summary: 'Run the HTTP decision API (POST /v1/decisions, /metrics)',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, { port: { type: 'string' }, host: { type: 'string' } });
    const { loadConfig } = await import('../../config/index.ts');
    const config = loadConfig();
    const { startApiService } = await import('../../services/scorer/service.ts');
    await startApiService(config, {
      port: numberFlag('port', values.port, config.apiPort),
      host: values.host ?? config.apiHost,
    });
  },
};
export default command;
