// The knet executable as users run it (the package's bin, dist/cli/bin.cjs, bundled by the build): its fast paths
// answer as the whole command line does, and lazy loading leaves no command unregistered.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildProgram, main } from './main.js';
import type { Io } from './output.js';
import { bundleOf, PREDICT_NAMES } from './predict-names.js';
import { VERSION } from './version.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { knet: string } }).bin.knet);
const OPSCART = 'examples/opscart';

function knet(argv: readonly string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build`);
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function inProcess(argv: readonly string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const io: Io = { out: (t) => { out += line(t); }, err: (t) => { err += line(t); }, color: false };
  return { code: main(argv, io), out, err };
}

const silent: Io = { out: () => {}, err: () => {}, color: false };
const COMMANDS = buildProgram(silent).commands.map((c) => c.name());

describe('knet --version', () => {
  it('is the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('prints the version and exits 0, as the whole command line does', () => {
    const r = knet(['--version']);
    expect(r).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    expect(inProcess(['--version']).out).toBe(r.out);
  });
});

describe('knet --help and every command', () => {
  it('knows the commands of the whole command line', () => {
    expect(COMMANDS).toEqual(expect.arrayContaining(['get', 'dns', 'route', 'trace', 'diagnose', 'matrix', 'up', 'down', 'tour']));
  });

  it('--help lists every command', () => {
    const r = knet(['--help']);
    expect(r.code).toBe(0);
    const listed = [...r.out.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]);
    expect(listed).toEqual(expect.arrayContaining(COMMANDS));
  });

  it('<command> --help exits 0 and describes that command, for every command', async () => {
    const run = promisify(execFile);
    // In parallel: each loads the whole command line.
    const helps = await Promise.all(COMMANDS.map(async (name) => {
      const r = await run(process.execPath, [BIN, name, '--help'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
      return { name, usage: r.stdout.split('\n')[0] };
    }));
    for (const h of helps) expect(h.usage, h.name).toMatch(new RegExp(`^Usage: knet ${h.name}\\b`));
  });
});

// Each Predict command (predict-names.ts) runs from the Predict bundle: the bundled process
// must answer exactly as the whole command line does in-process.
const PREDICT_RUNS: readonly (readonly string[])[] = [
  ['get', 'pods', '-A', '-f', OPSCART],
  ['get', 'svc', '-n', 'production', '-o', 'json', '-f', OPSCART],
  ['dns', 'kafka-0.kafka-headless.messaging.svc.cluster.local', '-f', OPSCART],
  ['resolv-conf', 'kafka-0', '-n', 'messaging', '-f', OPSCART],
  ['route', 'https://api.opscart.com/v1', '-f', OPSCART],
  ['trace', '-f', OPSCART, '--from', 'external', 'http://app.opscart.com/'],
  ['diagnose', '-f', OPSCART],
  ['get', 'pods', '-f', 'examples/no-such-dir'],
];

describe('Predict commands through the bundled executable', () => {
  it('are all run here', () => {
    expect(new Set(PREDICT_RUNS.map((argv) => argv[0]))).toEqual(new Set(PREDICT_NAMES));
  });

  for (const argv of PREDICT_RUNS) {
    it(`knet ${argv.join(' ')} answers as the whole command line`, () => {
      const r = knet(argv);
      expect(r).toEqual(inProcess(argv));
    });
  }

  it('never loads koffi (native calls are for the run face only)', () => {
    // Reports, at exit, every CommonJS module of koffi's that the process loaded.
    const probe = 'data:text/javascript,import { createRequire } from "node:module"; const r = createRequire("/"); ' +
      'process.on("exit", () => { for (const k of Object.keys(r.cache)) if (k.includes("/koffi/")) process.stderr.write(`loaded ${k}\\n`); });';
    const withProbe = (args: readonly string[]) => spawnSync(process.execPath, ['--import', probe, ...args], { cwd: ROOT, encoding: 'utf8' });
    // The probe sees koffi where it is loaded.
    expect(withProbe(['-e', 'require("koffi")']).stderr).toContain('loaded ');
    for (const argv of PREDICT_RUNS.slice(0, 7)) {
      const r = withProbe([BIN, ...argv]);
      expect(r.stderr, argv.join(' ')).not.toContain('loaded ');
      expect(r.stdout.length, argv.join(' ')).toBeGreaterThan(0);
    }
  });

  it('the Predict bundle and the executable have source maps naming the TypeScript sources (KNET_DEBUG stacks)', () => {
    const dir = join(ROOT, 'dist/cli');
    for (const file of ['bin.cjs', 'predict-get.cjs', 'predict.cjs']) {
      expect(readFileSync(join(dir, file), 'utf8'), file).toContain(`//# sourceMappingURL=${file}.map`);
      const map = JSON.parse(readFileSync(join(dir, `${file}.map`), 'utf8')) as { sources: string[] };
      for (const source of map.sources) expect(existsSync(join(dir, source)), `${file}: ${source}`).toBe(true);
    }
    const predict = JSON.parse(readFileSync(join(dir, 'predict.cjs.map'), 'utf8')) as { sources: string[] };
    expect(predict.sources).toContain('../../src/cli/get.ts');
  });

  it('under KNET_DEBUG, answers the same through Node\'s own loader', () => {
    const argv = ['get', 'svc', '-A', '-f', OPSCART];
    expect(knet(argv, { KNET_DEBUG: '1' })).toEqual(inProcess(argv));
  });

  it('the build saved a code cache that V8 takes, for each Predict bundle', () => {
    for (const bundle of new Set(PREDICT_NAMES.map(bundleOf))) {
      const probe = `import { loadBundle } from ${JSON.stringify(join(ROOT, 'dist/cli/bundle-loader.js'))}; ` +
        `process.stdout.write(String(loadBundle(${JSON.stringify(join(ROOT, 'dist/cli', bundle))}).cached));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: ROOT, encoding: 'utf8' });
      expect(r.stderr, bundle).toBe('');
      expect(r.stdout, bundle).toBe('true');
    }
  });

  it('get runs from its own bundle, without the other commands\' code', () => {
    const get = readFileSync(join(ROOT, 'dist/cli', bundleOf('get')), 'utf8');
    expect(bundleOf('get')).not.toBe(bundleOf('trace'));
    expect(get).toContain('// src/cli/get.ts');
    for (const other of ['src/cli/trace.ts', 'src/cli/route.ts', 'src/cli/dns.ts', 'src/cli/diagnose.ts']) expect(get).not.toContain(`// ${other}`);
  });
});
