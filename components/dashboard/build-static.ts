// Builds the dashboard's static folder: the page's own files plus the browser builds of the
// libraries it uses (Preact and htm for the page, uPlot for the charts), copied from node_modules
// so the page works offline, with no CDN. Run by `npm run build` and at every dashboard start.
import * as fs from "fs";
import * as path from "path";

/** Browser files of the page's libraries: where the page imports them from -> the package file. */
export const VENDOR: Record<string, string> = {
  "vendor/preact.module.js": "preact/dist/preact.module.js",
  "vendor/hooks.module.js": "preact/hooks/dist/hooks.module.js",
  "vendor/htm.module.js": "htm/dist/htm.module.js",
  "vendor/htm-preact.module.js": "htm/preact/index.module.js",
  "vendor/uPlot.esm.js": "uplot/dist/uPlot.esm.js",
  "vendor/uPlot.min.css": "uplot/dist/uPlot.min.css",
};

/** Copies the page and its libraries into `out` (replaced whole); returns the files written. */
export function buildDashboardStatic(root: string, out: string = path.join(root, "bin", "dashboard", "static")): string[] {
  const page = path.join(root, "components", "dashboard", "page");
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(out, "vendor"), { recursive: true });
  const written: string[] = [];
  for (const f of fs.readdirSync(page)) {
    fs.copyFileSync(path.join(page, f), path.join(out, f));
    written.push(f);
  }
  for (const [to, from] of Object.entries(VENDOR)) {
    const src = path.join(root, "node_modules", from);
    if (!fs.existsSync(src)) throw new Error(`dashboard: ${src} is missing (run npm ci)`);
    fs.copyFileSync(src, path.join(out, to));
    written.push(to);
  }
  return written;
}

if (require.main === module) {
  const root = path.resolve(__dirname, "..", "..", "..");
  const files = buildDashboardStatic(root);
  console.log(`dashboard: ${files.length} static files in ${path.join(root, "bin", "dashboard", "static")}`);
}
