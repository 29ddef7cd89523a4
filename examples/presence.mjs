// The mission in one script: a user on two devices and an agent meet on a session channel; the agent watches
// presence and concludes the user is offline only when every device is gone.
//
//   npm start -- --key demo.key:secret        (in another terminal)
//   ROLLCALL_KEY=demo.key:secret node examples/presence.mjs
import * as Ably from 'ably';

const key = process.env.ROLLCALL_KEY ?? 'demo.key:secret';
const port = Number(process.env.ROLLCALL_PORT ?? 8080);
const connect = (clientId, extra = {}) =>
  new Ably.Realtime({ key, clientId, endpoint: 'localhost', port, tls: false, ...extra });

const agent = connect('agent-7');
const session = agent.channels.get('session-42');
await session.presence.enter({ model: 'gpt-4' }); // agents advertise availability by entering

await session.presence.subscribe(async (event) => {
  // Re-read the whole set on every event: "is user-123 on any device?"
  const members = await session.presence.get();
  const devices = members.filter((m) => m.clientId === 'user-123').map((m) => m.data?.device);
  console.log(`${event.action} ${event.clientId} ${JSON.stringify(event.data)} -> user-123 on [${devices.join(', ')}]`);
  if (event.clientId === 'user-123' && event.action === 'leave' && devices.length === 0) {
    console.log('user-123 is offline on all devices: the agent can pause, continue or clean up');
  }
});

const desktop = connect('user-123');
const mobile = connect('user-123');
await desktop.channels.get('session-42').presence.enter({ device: 'desktop' });
await mobile.channels.get('session-42').presence.enter({ device: 'mobile', platform: 'ios' });
await mobile.channels.get('session-42').presence.update({ device: 'mobile', platform: 'ios', status: 'typing' });
await mobile.channels.get('session-42').presence.leave({ reason: 'app-backgrounded' });
await desktop.channels.get('session-42').presence.leave({ reason: 'session-completed' });

await new Promise((resolve) => setTimeout(resolve, 500));
const history = await session.presence.history();
console.log('presence history (newest first):');
for (const m of history.items) console.log(`  ${m.action} ${m.clientId} ${JSON.stringify(m.data)}`);
for (const c of [agent, desktop, mobile]) c.close();
