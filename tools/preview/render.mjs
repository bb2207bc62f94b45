#!/usr/bin/env node
// `make review-preview`: the review comment as a pull request shows it, rendered to PNG by headless Chromium.
//
//   node tools/preview/render.mjs [--html-only] [--chromium PATH] cdktf.out/review/comment.md
//
// writes comment.html, comment.png (as posted: details collapsed) and comment-expanded.png (every
// section open) beside the comment. Markdown is GitHub-flavoured with raw HTML (marked), diagrams are
// Mermaid, the style is GitHub's (github-markdown-css) at a comment's width. The page is self-contained:
// everything is inlined, and its Content-Security-Policy lets nothing load and no script run but ours.
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Marked } from "marked";

const require = createRequire(import.meta.url);

/** A pull-request comment is about 800 px wide on a desktop browser; issue 17 asks for readability there. */
export const WIDTH = 800;

/** Chromium flags: no network of its own, no GPU, no first-run work. The sandbox needs an unprivileged user. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
];

const escapeHtml = (text) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** The comment's Markdown as HTML: GFM tables, raw HTML kept (GitHub allows <details>), Mermaid blocks left for the browser. */
export function markdownToHtml(markdown) {
  const marked = new Marked({
    gfm: true,
    renderer: {
      code({ text, lang }) {
        return lang === "mermaid" ? `<pre class="mermaid">${escapeHtml(text)}</pre>\n` : false;
      },
    },
  });
  return marked.parse(markdown);
}

/** The whole page: GitHub's stylesheet, the comment, Mermaid and the script that draws the diagrams. */
export async function buildPage(markdown, { title = "rayfort review" } = {}) {
  const nonce = randomBytes(18).toString("base64");
  const css = await readFile(require.resolve("github-markdown-css/github-markdown-light.css"), "utf8");
  const mermaid = await readFile(require.resolve("mermaid/dist/mermaid.min.js"), "utf8");
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; img-src data:; font-src data:`;
  // Mermaid cannot lay out a diagram inside a closed <details>: open them all, draw, close them again.
  const draw = `
    (async () => {
      const details = [...document.querySelectorAll("details")];
      const open = details.map((d) => d.open);
      details.forEach((d) => (d.open = true));
      mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default" });
      try {
        await mermaid.run({ querySelector: "pre.mermaid" });
      } catch (error) {
        document.body.dataset.error = String(error?.message ?? error);
      }
      details.forEach((d, i) => (d.open = open[i]));
      document.body.dataset.ready = "true";
    })();`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
<style>
  body { margin: 0; background: #ffffff; }
  .comment { box-sizing: border-box; width: ${WIDTH}px; padding: 16px; font-size: 14px; }
  .comment pre.mermaid { background: none; text-align: center; }
</style>
</head>
<body>
<article class="comment markdown-body">
${markdownToHtml(markdown)}
</article>
<script nonce="${nonce}">${mermaid.replaceAll("</script", "<\\/script")}</script>
<script nonce="${nonce}">${draw}</script>
</body>
</html>
`;
}

async function screenshot(htmlPath, pngs, executablePath) {
  const { chromium } = require("playwright-core");
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: 600 }, deviceScaleFactor: 1 });
    await page.route("**/*", (route) =>
      route.request().url().startsWith("file:") ? route.continue() : route.abort("blockedbyclient"),
    );
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForSelector("body[data-ready]", { timeout: 120_000 });
    const error = await page.evaluate(() => document.body.dataset.error);
    if (error) throw new Error(`Mermaid could not draw the graph: ${error}`);
    const comment = page.locator("article.comment");
    await comment.screenshot({ path: pngs.collapsed });
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
    await comment.screenshot({ path: pngs.expanded });
  } finally {
    await browser.close();
  }
}

async function main(argv) {
  let htmlOnly = false;
  let executablePath = "/usr/bin/chromium";
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--html-only") htmlOnly = true;
    else if (argv[i] === "--chromium") executablePath = argv[++i];
    else files.push(argv[i]);
  }
  if (files.length !== 1 || !files[0].endsWith(".md")) {
    console.error("usage: node tools/preview/render.mjs [--html-only] [--chromium PATH] COMMENT.md");
    return 2;
  }
  const base = files[0].slice(0, -".md".length);
  const markdown = await readFile(files[0], "utf8");
  const html = `${base}.html`;
  await writeFile(html, await buildPage(markdown, { title: files[0] }));
  console.log(`rayfort preview: wrote ${html}`);
  if (htmlOnly) return 0;
  const pngs = { collapsed: `${base}.png`, expanded: `${base}-expanded.png` };
  await screenshot(html, pngs, executablePath);
  console.log(`rayfort preview: wrote ${pngs.collapsed} (as posted) and ${pngs.expanded} (every section open)`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
