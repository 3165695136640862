/**
 * What one produce request costs the broker and the client, whatever it carries: sends `--rate`
 * requests a second of `--records` records (400 bytes each, acks=all, one at a time) to
 * `transactions.dlq` for 10 s, and reads the broker's CPU time from /proc before and after.
 *
 *   node bench/pipeline/kafka-request-cost.ts <broker pid> [--rate 1000] [--records 1]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Producer, stringSerializers } from '@platformatic/kafka';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rate: { type: 'string', default: '1000' }, records: { type: 'string', default: '1' } },
});
const brokerPid = positionals[0];
if (!brokerPid) throw new Error('usage: kafka-request-cost.ts <broker pid> [--rate N] [--records N]');
const rate = Number(values.rate);
const records = Number(values.records);
const brokerTicks = () => {
  const f = readFileSync(`/proc/${brokerPid}/stat`, 'utf8').split(' ');
  return Number(f[13]) + Number(f[14]);
};
const producer = new Producer({
  clientId: 'request-cost',
  bootstrapBrokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
  acks: -1,
  serializers: stringSerializers,
});
const batch = (n: number) =>
  Array.from({ length: records }, (_, j) => ({
    topic: 'transactions.dlq',
    key: `k${(n + j) % 6}`,
    value: 'x'.repeat(400),
  }));
await producer.send({ messages: batch(0) }); // metadata and connection first
const ticks0 = brokerTicks();
const self0 = process.cpuUsage();
const t0 = Date.now();
let sent = 0;
while (Date.now() - t0 < 10_000) {
  if (sent >= Math.floor(((Date.now() - t0) / 1000) * rate)) {
    await new Promise((r) => setTimeout(r, 1));
    continue;
  }
  await producer.send({ messages: batch(sent) });
  sent++;
}
const seconds = (Date.now() - t0) / 1000;
const broker = (brokerTicks() - ticks0) / 100; // clock ticks of 10 ms
const self = process.cpuUsage(self0);
await producer.close();
console.log(
  JSON.stringify({
    requests_per_s: Math.round(sent / seconds),
    records_per_request: records,
    broker_cores: +(broker / seconds).toFixed(3),
    broker_cpu_us_per_request: Math.round((broker * 1e6) / sent),
    client_cores: +((self.user + self.system) / 1e6 / seconds).toFixed(3),
  }),
);
