// Small display helpers shared by the panels. Everything user-supplied goes into the DOM as text, never as HTML.

/** Creates an element with a class and text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** Presence data as one line: strings as they are, anything else as compact JSON; long values are cut. */
export function dataText(data, max = 160) {
  if (data === undefined || data === null) return '';
  let text;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) text = `<${data.byteLength} bytes>`;
  else {
    try {
      text = JSON.stringify(data);
    } catch {
      text = String(data);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "12:03:04" in the viewer's time zone. */
export function clockTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

/** "4s", "3m 12s", "2h 5m", "3d 4h": a duration, coarse enough to read at a glance. */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Whether a LEAVE was made by the server (grace period over, connection closed) rather than sent by the client. */
export function serverMadeLeave(message) {
  return typeof message.id === 'string' && !message.id.startsWith(`${message.connectionId}:`);
}
