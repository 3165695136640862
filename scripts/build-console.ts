// Builds the analyst console (Preact + Vite) into src/services/console/web/dist, which the API
// serves as static files: nothing is fetched from the network at runtime. Run by
// `scripts/setup.sh node` when the web sources are newer than the build.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../src/services/console/web/', import.meta.url));
const started = performance.now();
const { build } = await import('vite');
await build({
  root,
  configFile: false,
  base: '/',
  logLevel: 'warn',
  // JSX compiled for Preact by Vite's own transformer (oxc); no Babel plugin needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
});
process.stderr.write(`console built in ${Math.round(performance.now() - started)} ms -> ${root}dist\n`);
