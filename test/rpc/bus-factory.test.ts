import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AmqpBus } from '../../src/rpc/amqp.bus';
import { BusOptions, createBus } from '../../src/rpc/bus-factory';
import { InProcessBroker, InProcessBus } from '../../src/rpc/inproc.bus';
import { InvalidTransportUrl } from '../../src/rpc/transport-url';
import { createHarness, RABBIT_URL } from '../utils/buses';

const base: BusOptions = {
  controlExchange: 'nova', rpcResponseTimeoutSec: 60, durableQueues: true, transientQueuesTtlSec: 1800, prefetch: 64,
};
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('createBus', () => {
  it('no transport_url: in-process; buses sharing a broker talk to each other', async () => {
    const broker = new InProcessBroker();
    const a = await createBus({ ...base, transportUrl: '' }, { broker, logger: quiet });
    const b = await createBus(base, { broker, logger: quiet });
    assert.ok(a instanceof InProcessBus);
    assert.equal(a.transportName, 'inproc');
    await a.serve('conductor', 'h', async (req) => req.args);
    assert.deepEqual(await b.call({ topic: 'conductor' }, 'ping', { x: 1 }), { x: 1 });
    await Promise.all([a.close(), b.close()]);
  });

  it('the timeout comes from rpc_response_timeout', async () => {
    const bus = await createBus({ ...base, rpcResponseTimeoutSec: 0.2 }, { logger: quiet });
    await assert.rejects(bus.call({ topic: 'nobody' }, 'm', {}), /timed out after 0.2 s/);
    await bus.close();
  });

  it('a bad transport_url is refused before connecting', async () => {
    await assert.rejects(createBus({ ...base, transportUrl: 'kafka://u:secret@h' }), (err: unknown) =>
      err instanceof InvalidTransportUrl && !err.message.includes('secret'));
  });

  it('rabbit://: the AMQP bus with the given control exchange', async () => {
    const h = createHarness('rabbit');
    const bus = h.adopt(await createBus({ ...base, transportUrl: RABBIT_URL, controlExchange: h.controlExchange }, { logger: quiet }));
    try {
      assert.ok(bus instanceof AmqpBus);
      assert.equal(bus.transportName, 'rabbit');
      assert.equal(bus.controlExchange, h.controlExchange);
      const topic = h.topic();
      await bus.serve(topic, 'h', async () => 'ok');
      assert.equal(await bus.call({ topic }, 'm', {}), 'ok');
    } finally {
      await h.cleanup();
    }
  });
});
