export { CometEndpoint } from './comet-endpoint.ts';
export { CometTransport } from './comet-transport.ts';
