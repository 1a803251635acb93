// Which connect primitive this thread uses: the raw tcp_wrap one when node exposes it,
// net.Socket otherwise (connector.ts).
import type { ConnectorFactory } from './connector.js';
import { netConnectorFactory } from './net-connector.js';
import { rawConnectorFactory } from './raw-connector.js';

let chosen: ConnectorFactory | undefined;

export function connectorFactory(): ConnectorFactory {
  return (chosen ??= rawConnectorFactory() ?? netConnectorFactory);
}
