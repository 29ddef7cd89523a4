export type { AppSpec, ChannelSpec, KeySpec, PresenceFixture } from './app-spec.ts';
export { parseAppSpec } from './app-spec.ts';
export type { AppDescription, ProvisionedKey } from './sandbox-app.ts';
export { SandboxApp } from './sandbox-app.ts';
export { createSandbox, DEFAULT_SANDBOX_OPTIONS, type Sandbox, type SandboxOptions } from './sandbox-server.ts';
