// Loaded with --import into the forked child of FakeUtilityProcess: gives it the child side of an Electron
// utilityProcess as docs/api/process.md describes it. `process.parentPort` has postMessage(message) and emits
// 'message' events whose `data` is what the parent posted; there is no `process.send` (that is child_process's IPC).
import { EventEmitter } from 'node:events';

const send = process.send?.bind(process);
const port = new EventEmitter();
port.postMessage = (message) => send?.(message);
process.on('message', (data) => port.emit('message', { data, ports: [] }));
// The IPC channel must not keep the process alive on its own: a utility process lives as long as its work does.
process.channel?.unref();
process.parentPort = port;
process.send = undefined;
