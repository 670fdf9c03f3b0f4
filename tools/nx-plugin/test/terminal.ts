/**
 * Runs a command in a real pseudo terminal, as a user's shell would: the command leads the
 * terminal's foreground process group, and `interrupt()` types the terminal's interrupt character
 * (Ctrl-C), so the kernel signals that whole group, wrappers (npx, nx) and all. Python's pty
 * module does the terminal work (no native Node.js dependency).
 */
import { spawn } from 'node:child_process';

export interface Terminal {
  /** Everything the terminal showed so far. */
  output(): string;
  /** Types Ctrl-C. */
  interrupt(): void;
  /** The command's exit code (128 + n when a signal ended it) and when it exited (Date.now()). */
  readonly exited: Promise<{ code: number; at: number }>;
  /** Kills whatever is left (test cleanup). */
  kill(): void;
}

const DRIVER = `
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = sys.stdout.buffer
inp = sys.stdin.fileno()
open_fd = True
while True:
    fds = [inp] + ([fd] if open_fd else [])
    r, _, _ = select.select(fds, [], [], 0.02)
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if data:
            out.write(data); out.flush()
        else:
            open_fd = False
    if inp in r:
        line = os.read(inp, 64)
        if b'INT' in line:
            os.write(fd, b'\\x03')
        if not line:
            os.kill(pid, 9)
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        sys.stderr.write('EXIT %d\\n' % os.waitstatus_to_exitcode(status) if os.waitstatus_to_exitcode(status) >= 0 else 'EXIT %d\\n' % (128 - os.waitstatus_to_exitcode(status)))
        sys.stderr.flush()
        break
`;

export function runInTerminal(command: string[], env: NodeJS.ProcessEnv, cwd: string): Terminal {
  const child = spawn('python3', ['-c', DRIVER, ...command], { cwd, env: { ...env, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  let status = '';
  child.stderr.on('data', (d) => (status += d));
  const exited = new Promise<{ code: number; at: number }>((resolve) => {
    const check = () => {
      const m = /EXIT (\d+)/.exec(status);
      if (m) resolve({ code: Number(m[1]), at: Date.now() });
    };
    child.stderr.on('data', check);
    child.on('close', () => {
      check();
      resolve({ code: -1, at: Date.now() });
    });
  });
  return {
    output: () => output,
    interrupt: () => child.stdin.write('INT\n'),
    exited,
    kill: () => {
      child.stdin.end();
      child.kill('SIGKILL');
    },
  };
}
