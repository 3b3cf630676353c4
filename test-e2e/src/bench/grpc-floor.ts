/**
 * The floor of the gRPC layer for a Node daemon: grpc-js serving Version alone on a unix socket, in
 * its own node process started with criod's node flags. The bench times its Version round trip
 * beside criod's and containerd's: what is left of criod's is criod's own.
 *
 * Run as a program, it serves on the socket path given as its argument and writes "ready".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { cri } from '@criod/cri-grpc';

export interface GrpcFloor {
  socket: string;
  stop(): Promise<void>;
}

export async function startGrpcFloor(socket: string, nodeFlags: string[]): Promise<GrpcFloor> {
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, fileURLToPath(import.meta.url), socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await Promise.race([once(child.stdout!, 'data'), once(child, 'exit').then(() => [undefined])])) as [Buffer | undefined];
  if (!chunk?.toString().includes('ready')) throw new Error('the grpc-js floor server did not start');
  return {
    socket,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function serve(socket: string): void {
  const server = new Server();
  const version = cri.RuntimeServiceService.version;
  server.addService(
    { version },
    {
      version: (_call: unknown, callback: (err: null, reply: cri.VersionResponse) => void) =>
        callback(null, { version: '0.1.0', runtimeName: 'grpc-js', runtimeVersion: '0', runtimeApiVersion: 'v1' }),
    },
  );
  server.bindAsync(`unix://${socket}`, ServerCredentials.createInsecure(), (err) => {
    if (err) throw err;
    process.stdout.write('ready\n');
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve(process.argv[2]!);
