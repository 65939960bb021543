/**
 * The playground's browser tests (web/index.html in headless Chromium through puppeteer-core,
 * served by scripts/serve.ts with MNIST from ../shared/data/mnist under /data/): it loads
 * cross-origin isolated with no console error; lenet trains one epoch of MNIST (all 60,000
 * samples) on 2 Web Workers from the page's own controls to ≥ 97%; a real test digit drawn
 * into the pad through mouse events is classified right; the checkpoint downloaded by the
 * "download checkpoint" button scores the same under `train.ts --eval`, and loaded back
 * through "load checkpoint" it evaluates the same in the page, and with "Start continues from
 * it" training starts from its weights; Stop ends a moons run in a stopped state, after which
 * Start trains again. Saves docs/playground.png and docs/drawing_pad.png. Skips with one
 * printed reason without Chromium or MNIST.
 */

/// <reference lib="dom" />

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { Server } from "node:http";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { serveStatic } from "../../scripts/serve.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MNIST = fileURLToPath(new URL("../../../shared/data/mnist", import.meta.url));
const BUNDLE = join(ROOT, "web/dist/playground.js");
const CANDIDATES = process.env.SHARDGRAD_CHROMIUM
  ? [process.env.SHARDGRAD_CHROMIUM]
  : ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
const chromium = CANDIDATES.find((path) => existsSync(path));
const skipReason = chromium === undefined
  ? `no Chromium at ${CANDIDATES.join(", ")} (apt-get install chromium, or set SHARDGRAD_CHROMIUM)`
  : !existsSync(MNIST)
  ? `no MNIST folder at ${MNIST}`
  : false;
if (skipReason !== false) console.log(`browser tests skipped: ${skipReason}`);

interface PlaygroundState {
  running: boolean;
  epochsDone: number;
  testAccuracy: number | null;
  samplesPerSecond: number | null;
  mode: string;
  error: string | null;
  prediction: { label: number; probabilities: number[] } | null;
}

const state = (page: Page) =>
  page.evaluate(() =>
    (globalThis as unknown as { playground: { state(): PlaygroundState } }).playground.state()
  );

/** MNIST test image `index` (28×28 bytes) and its label, read here from the .gz files. */
function testDigit(index: number): { pixels: Uint8Array; label: number } {
  const images = gunzipSync(readFileSync(join(MNIST, "t10k-images-idx3-ubyte.gz")));
  const labels = gunzipSync(readFileSync(join(MNIST, "t10k-labels-idx1-ubyte.gz")));
  return {
    pixels: images.subarray(16 + index * 784, 16 + (index + 1) * 784),
    label: labels[8 + index],
  };
}

/** Draws `pixels` into the pad with the mouse: one stroke per run of ink along each row. */
async function drawDigit(page: Page, pixels: Uint8Array): Promise<void> {
  const box = (await (await page.$("#pad"))!.boundingBox())!;
  const cell = box.width / 28;
  const at = (x: number, y: number) => [box.x + (x + 0.5) * cell, box.y + (y + 0.5) * cell];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (pixels[y * 28 + x] < 128) continue;
      let end = x;
      while (end + 1 < 28 && pixels[y * 28 + end + 1] >= 128) end++;
      const [x0, y0] = at(x, y), [x1] = at(end, y);
      await page.mouse.move(x0, y0);
      await page.mouse.down();
      await page.mouse.move(x1, y0, { steps: Math.max(1, end - x) });
      await page.mouse.up();
      x = end;
    }
  }
}

describe("the playground in headless Chromium", { skip: skipReason }, () => {
  let browser: Browser;
  let served: { server: Server; url: string };
  let page: Page;
  const errors: string[] = [];
  const downloads = mkdtempSync(join(tmpdir(), "shardgrad-playground-"));

  before(async () => {
    if (!existsSync(BUNDLE)) {
      throw new Error(
        `${BUNDLE} is missing: run \`npm run build:web\` first (npm run test:browser does)`,
      );
    }
    served = await serveStatic(ROOT, 0, { mirror: MNIST });
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console.error: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`page error: ${String(error)}`));
    page.on("response", (response) => {
      if (response.status() >= 400) errors.push(`HTTP ${response.status()}: ${response.url()}`);
    });
    const cdp = await browser.target().createCDPSession();
    await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });
  });

  after(async () => {
    await browser?.close();
    served?.server.closeAllConnections();
    await new Promise((done) => served?.server.close(done));
    rmSync(downloads, { recursive: true, force: true });
  });

  test("the playground loads cross-origin isolated with no console errors", async () => {
    await page.goto(`${served.url}web/index.html`, { waitUntil: "load" });
    await page.waitForFunction(() => "playground" in globalThis, { timeout: 30_000 });
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    const line = await page.$eval("#isolation", (e) => e.textContent ?? "");
    assert.match(line, /^cross-origin isolated: training runs on up to \d+ workers/);
    assert.deepEqual(errors, []);
  });

  test(
    "lenet trains 1 epoch of MNIST on 2 workers from the page's controls",
    { timeout: 600_000 },
    async () => {
      await page.select("#dataset", "mnist");
      await page.select("#preset", "lenet");
      for (const [id, value] of [["#workers", "2"], ["#epochs", "1"]]) {
        await page.$eval(id, (e, v) => ((e as HTMLInputElement).value = v), value);
      }
      await page.click("#start");
      await page.waitForFunction(
        () => {
          const s = (globalThis as unknown as { playground: { state(): PlaygroundState } })
            .playground.state();
          return s.error !== null || (!s.running && s.epochsDone === 1);
        },
        { timeout: 580_000, polling: 500 },
      );
      const s = await state(page);
      assert.equal(s.error, null);
      console.log(
        `playground: lenet 1 epoch, 2 workers (${s.mode}), test accuracy ${
          s.testAccuracy!.toFixed(4)
        }, ` +
          `${Math.round(s.samplesPerSecond!)} samples/s in the last chunk`,
      );
      assert.equal(s.mode, "DataParallel, 2 workers");
      assert.ok(s.testAccuracy! >= 0.97, `test accuracy ${s.testAccuracy} < 0.97`);
      assert.deepEqual(errors, []);
    },
  );

  test("a real test digit drawn into the pad with the mouse is classified right", async () => {
    const digit = testDigit(0);
    await drawDigit(page, digit.pixels);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { playground: { state(): PlaygroundState } }).playground.state()
          .prediction !== null,
      { timeout: 30_000 },
    );
    // The last strokes' frame may still be pending: wait for two more frames before reading.
    await page.evaluate(() =>
      new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))
    );
    const { prediction } = await state(page);
    console.log(
      `playground: test digit 0 (a ${digit.label}) drawn with the mouse -> ${prediction!.label} ` +
        `(p = ${prediction!.probabilities[prediction!.label].toFixed(3)})`,
    );
    await (await page.$("#pad-section"))!.screenshot({
      path: join(ROOT, "docs/drawing_pad.png") as `${string}.png`,
    });
    await page.screenshot({ path: join(ROOT, "docs/playground.png") as `${string}.png` });
    assert.equal(prediction!.label, digit.label);
    assert.deepEqual(errors, []);
  });

  test("the downloaded checkpoint scores the same under train.ts --eval and loads back", {
    timeout: 300_000,
  }, async () => {
    const { testAccuracy } = await state(page);
    await page.click("#download");
    const names = ["model.json", "model.safetensors"];
    for (let waited = 0; !names.every((n) => readdirSync(downloads).includes(n)); waited += 200) {
      if (waited > 60_000) {
        throw new Error(`downloads: only ${readdirSync(downloads).join(", ")} after 60 s`);
      }
      await new Promise((done) => setTimeout(done, 200));
    }
    const deno = join(ROOT, "node_modules/.bin/deno");
    const output = execFileSync(
      deno,
      ["run", "-A", "train.ts", "--eval", downloads, "--dataset", "mnist", "--mirror", MNIST],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 240_000 },
    );
    const match = output.match(/test accuracy [\d.]+% \((\d+)\/(\d+)\)/);
    assert.ok(match !== null, `train.ts --eval printed no accuracy line:\n${output}`);
    const [correct, count] = [Number(match[1]), Number(match[2])];
    console.log(
      `playground: the downloaded checkpoint under train.ts --eval: ${correct}/${count}; ` +
        `in the page: ${Math.round(testAccuracy! * count)}/${count}`,
    );
    assert.equal(count, 10_000);
    // Same weights, same test set; the page evaluated in 2 Workers and train.ts in one thread,
    // perhaps with another WebAssembly kernel flavor (relaxed SIMD or not), so a near-tie
    // between two logits may round the other way: at most 2 of 10,000 samples may differ.
    const inPage = Math.round(testAccuracy! * count);
    assert.ok(Math.abs(correct - inPage) <= 2, `train.ts --eval: ${correct}, the page: ${inPage}`);

    // Load it back through "load checkpoint" and evaluate it in the page.
    const pick = await page.$("#checkpoint-files");
    await (pick as unknown as { uploadFile(...paths: string[]): Promise<void> }).uploadFile(
      ...names.map((n) => join(downloads, n)),
    );
    await page.waitForFunction(
      () => !(document.getElementById("evaluate") as HTMLButtonElement).disabled,
      {
        timeout: 30_000,
      },
    );
    await page.click("#evaluate");
    await page.waitForFunction(
      () =>
        /evaluated the loaded checkpoint|Error/.test(
          document.getElementById("progress")!.textContent! +
            document.getElementById("error")!.textContent!,
        ),
      { timeout: 120_000 },
    );
    const again = await state(page);
    assert.equal(again.error, null);
    assert.equal(Math.round(again.testAccuracy! * count), inPage, "the checkpoint loaded back");
    assert.deepEqual(errors, []);
  });

  test("Start continues from the loaded checkpoint", { timeout: 300_000 }, async () => {
    // The previous step loaded the downloaded lenet checkpoint (≥ 97% after its epoch). With
    // "Start continues from it", 1 epoch over 1,200 samples at a tiny constant lr keeps it
    // there; a fresh lenet after those 19 steps at that lr is near chance (~10%).
    const loadedAccuracy = (await state(page)).testAccuracy!;
    assert.equal(
      await page.$eval("#continue", (e) => (e as HTMLInputElement).disabled),
      false,
      'loading a checkpoint enables "Start continues from it"',
    );
    try {
      await page.click("#continue");
      assert.equal(await page.$eval("#continue", (e) => (e as HTMLInputElement).checked), true);
      for (const [id, value] of [["#epochs", "1"], ["#limit", "1200"], ["#lr", "0.0001"]]) {
        await page.$eval(id, (e, v) => ((e as HTMLInputElement).value = v), value);
      }
      await page.select("#schedule", "constant");
      await page.click("#start");
      await page.waitForFunction(
        () => {
          const s = (globalThis as unknown as { playground: { state(): PlaygroundState } })
            .playground.state();
          return s.error !== null || (!s.running && s.epochsDone === 1);
        },
        { timeout: 280_000, polling: 500 },
      );
      const s = await state(page);
      assert.equal(s.error, null);
      const progress = await page.$eval("#progress", (e) => e.textContent ?? "");
      console.log(
        `playground: continued from the loaded checkpoint (test accuracy ${
          loadedAccuracy.toFixed(4)
        }): after 1 epoch of 1,200 samples at lr 1e-4: ${s.testAccuracy!.toFixed(4)}`,
      );
      assert.match(progress, /epoch 1\/1, step \d+\/\d+, .* — done$/);
      assert.ok(
        s.testAccuracy! >= loadedAccuracy - 0.03,
        `continued from a checkpoint at ${loadedAccuracy}, got ${s.testAccuracy}`,
      );
      assert.deepEqual(errors, []);
    } finally {
      // The later steps train fresh models on other data: untick it and drop the limit.
      if (await page.$eval("#continue", (e) => (e as HTMLInputElement).checked)) {
        await page.click("#continue");
      }
      await page.$eval("#limit", (e) => ((e as HTMLInputElement).value = ""));
    }
  });

  test("mlp trains on moons and paints a decision boundary", { timeout: 300_000 }, async () => {
    await page.select("#dataset", "moons");
    await page.$eval("#epochs", (e) => ((e as HTMLInputElement).value = "30"));
    // 750 samples in batches of 50: 15 steps an epoch, so each epoch ends on a short chunk.
    await page.$eval("#batch-size", (e) => ((e as HTMLInputElement).value = "50"));
    await page.click("#start");
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { playground: { state(): PlaygroundState } }).playground
          .state();
        return s.error !== null || (!s.running && s.epochsDone === 30);
      },
      { timeout: 280_000, polling: 500 },
    );
    const s = await state(page);
    assert.equal(s.error, null);
    console.log(
      `playground: mlp on moons, 30 epochs of batch 50: test accuracy ${
        s.testAccuracy!.toFixed(4)
      }`,
    );
    assert.ok(s.testAccuracy! >= 0.85, `test accuracy ${s.testAccuracy} < 0.85`);
    // The boundary canvas holds more than one color: regions of both classes were painted.
    const colors = await page.$eval("#boundary", (canvas) => {
      const c = canvas as HTMLCanvasElement;
      const { data } = c.getContext("2d")!.getImageData(0, 0, c.width, c.height);
      const seen = new Set<string>();
      for (let i = 0; i < data.length; i += 4 * 97) {
        seen.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
      }
      return seen.size;
    });
    assert.ok(colors > 2, `the decision boundary has ${colors} colors`);
    await (await page.$("#boundary-section"))!.screenshot({
      path: join(ROOT, "docs/playground_moons.png") as `${string}.png`,
    });
    assert.deepEqual(errors, []);
  });

  test("Stop ends a moons run in a stopped state and Start works again", {
    timeout: 300_000,
  }, async () => {
    type Flags = { start: boolean; stop: boolean; progress: string };
    const flags = () =>
      page.evaluate((): Flags => ({
        start: (document.getElementById("start") as HTMLButtonElement).disabled,
        stop: (document.getElementById("stop") as HTMLButtonElement).disabled,
        progress: document.getElementById("progress")!.textContent ?? "",
      }));
    // 100 epochs (the field's maximum) of 75 steps in batches of 10, each chunk of 4 repainting
    // the boundary: minutes of work, far more than runs between the wait below and the click.
    for (const [id, value] of [["#epochs", "100"], ["#batch-size", "10"]]) {
      await page.$eval(id, (e, v) => ((e as HTMLInputElement).value = v), value);
    }
    await page.click("#start");
    // Some progress: a chunk of the second epoch has been reported (so a first epoch is done).
    await page.waitForFunction(
      () =>
        /^epoch (?:[2-9]|\d\d+)\/100, step /.test(
          document.getElementById("progress")!.textContent!,
        ) ||
        document.getElementById("error")!.textContent !== "",
      { timeout: 120_000, polling: 100 },
    );
    const during = await flags();
    assert.deepEqual(
      [during.start, during.stop],
      [true, false],
      "Start off, Stop on while running",
    );
    await page.click("#stop");
    await page.waitForFunction(
      () =>
        !(globalThis as unknown as { playground: { state(): PlaygroundState } }).playground.state()
          .running,
      { timeout: 120_000, polling: 100 },
    );
    const stopped = await state(page);
    const after1 = await flags();
    assert.equal(stopped.error, null);
    console.log(`playground: stopped a 100-epoch moons run at "${after1.progress}"`);
    assert.match(after1.progress, /^epoch \d+\/100, step \d+\/75, .* — stopped$/);
    assert.ok(stopped.epochsDone < 100, `${stopped.epochsDone} epochs done after Stop`);
    assert.deepEqual([after1.start, after1.stop], [false, true], "Start on, Stop off after it");
    // Nothing more arrives: two animation frames and a second later the page is unchanged.
    await page.evaluate(() =>
      new Promise((done) =>
        requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 1000)))
      )
    );
    assert.deepEqual(await flags(), after1);
    assert.equal((await state(page)).epochsDone, stopped.epochsDone);

    // Start again: a fresh 3-epoch run (batches of 50, 15 steps an epoch) that finishes.
    for (const [id, value] of [["#epochs", "3"], ["#batch-size", "50"]]) {
      await page.$eval(id, (e, v) => ((e as HTMLInputElement).value = v), value);
    }
    await page.click("#start");
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { playground: { state(): PlaygroundState } }).playground
          .state();
        return s.error !== null || (!s.running && s.epochsDone === 3);
      },
      { timeout: 280_000, polling: 500 },
    );
    const again = await state(page);
    assert.equal(again.error, null);
    assert.match((await flags()).progress, /^epoch 3\/3, step 15\/15, .* — done$/);
    assert.ok(again.testAccuracy! > 0.5, `test accuracy ${again.testAccuracy} after 3 epochs`);
    assert.deepEqual(errors, []);
  });

  test(
    "without COOP/COEP the playground says why and trains on one Worker",
    { timeout: 300_000 },
    async () => {
      const plain = await serveStatic(ROOT, 0, { mirror: MNIST, isolation: false });
      const other = await browser.newPage();
      const otherErrors: string[] = [];
      other.on("pageerror", (error) => otherErrors.push(`page error: ${String(error)}`));
      other.on("console", (m) => void (m.type() === "error" && otherErrors.push(m.text())));
      try {
        await other.goto(`${plain.url}web/index.html`, { waitUntil: "load" });
        await other.waitForFunction(() => "playground" in globalThis, { timeout: 30_000 });
        const line = await other.$eval("#isolation", (e) => e.textContent ?? "");
        assert.match(line, /^training on one worker: the page is not cross-origin isolated/);
        await other.select("#dataset", "moons");
        await other.$eval("#epochs", (e) => ((e as HTMLInputElement).value = "5"));
        await other.click("#start");
        await other.waitForFunction(
          () => {
            const s = (globalThis as unknown as { playground: { state(): PlaygroundState } })
              .playground.state();
            return s.error !== null || (!s.running && s.epochsDone === 5);
          },
          { timeout: 280_000, polling: 500 },
        );
        const s = await state(other);
        assert.equal(s.error, null);
        assert.equal(s.mode, "LocalTrainer in one worker");
        assert.deepEqual(otherErrors, []);
      } finally {
        await other.close();
        plain.server.closeAllConnections();
        await new Promise((done) => plain.server.close(done));
      }
    },
  );
});
