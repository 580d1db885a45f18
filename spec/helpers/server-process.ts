import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { delimiter, join } from 'node:path'

/** The path of a server binary, on PATH or in the sbin directories Debian puts some in; throws naming how to get it. */
export function findServer (name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin']
  for (const dir of dirs) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name)
  }
  throw new Error(`${name} is not installed: the specs run against a real one (npm test's pretest installs it on Debian; or: apt-get install -y ${name})`)
}

/** A free TCP port on 127.0.0.1 (never a standard one: the machine may run its own server). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

/** Spawns `bin` and resolves once its output matches `ready`; rejects with its output if it exits first or takes 10 s. */
export async function startProcess (bin: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { finish(new Error(`${bin} did not start in 10 s:\n${output}`)) }, 10_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (ready.test(output)) finish()
    }
    const onExit = (code: number | null): void => { finish(new Error(`${bin} exited with ${code}:\n${output}`)) }
    function finish (err?: Error): void {
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      child.stderr!.off('data', onData)
      child.off('exit', onExit)
      if (err === undefined) resolve()
      else { child.kill('SIGKILL'); reject(err) }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', onExit)
    child.on('error', (err) => { finish(err) })
  })
  // Keep reading so a chatty server never blocks on a full pipe.
  child.stdout!.resume()
  child.stderr!.resume()
  return child
}

/** Stops a child and waits for it to exit. */
export async function stopProcess (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}
