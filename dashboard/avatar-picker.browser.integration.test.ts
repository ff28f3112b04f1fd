// The avatar picker in a real browser (headless Chromium via playwright-core) against a whole process
// on embedded defaults: a 3000 × 2000 photo is shrunk to 1024 px and compressed to WebP before it
// leaves the browser, the upload shows progress, the avatar lands on the profile, and a file the
// server refuses shows the server's own message.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { zipArchive } from '../lib/testing/attack-corpus.js';
import { ApiClient } from '../server/testing/api-harness.js';
import { withUser } from '../lib/postgres/tenant.js';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, signedInPage, startSite, type Site } from '../server/testing/site.js';

describeWithService('the avatar picker in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite('avatar', ['api', 'dashboard']);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  it('compresses in the browser, uploads with progress, sets the avatar, and shows the server’s refusals', async () => {
    const { origin } = site;
    const creator = await new ApiClient(origin, origin).signUpAndLogIn();
    const profile = await creator.newProfile({ published: true });

    const files = await mkdtemp(path.join(tmpdir(), 'linkpulse-avatar-files-'));
    const photo = path.join(files, 'holiday.png');
    // Noise, so the PNG is large (several megabytes) and compression is visible.
    const noise = Buffer.alloc(3000 * 2000 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2_654_435_761) >>> 24;
    const original = await sharp(noise, { raw: { width: 3000, height: 2000, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
    await writeFile(photo, original);
    const archive = path.join(files, 'avatar.png');
    await writeFile(archive, zipArchive());

    const { page, cspViolations, close } = await signedInPage(browser, origin, creator);
    let uploads = 0;
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/assets') && request.method() === 'POST') uploads++;
    });
    await page.goto(`${origin}/dashboard/${profile.id}`);
    await page.getByLabel('Choose an image').waitFor();

    const progress: number[] = [];
    await page.exposeFunction('recordProgress', (value: number) => progress.push(value));
    // Runs in the page (a string: this file is compiled without the DOM library).
    await page.evaluate(`new MutationObserver(() => {
      const bar = document.querySelector('progress');
      if (bar) window.recordProgress(bar.value);
    }).observe(document.body, { subtree: true, childList: true, attributes: true })`);
    await page.getByLabel('Choose an image').setInputFiles(photo);
    await page.getByText('Avatar saved.').waitFor({ timeout: 30_000 });

    expect(uploads).toBe(1);
    expect(progress.length).toBeGreaterThan(0);
    const updated = await creator.get<{ avatarAssetId: string }>(`/api/v1/profiles/${profile.id}`);
    // What left the browser, as the server received it: a WebP of 1024 px, far smaller than the photo.
    const { rows } = await withUser(site.running.platform.db!, creator.userId!, (tx) =>
      tx.query<{ validation: { uploadBytes: number; input: { type: string; width: number; height: number } } }>('SELECT validation FROM assets WHERE id = $1', [updated.body.avatarAssetId]),
    );
    const received = rows[0]!.validation;
    expect(received.input).toMatchObject({ type: 'image/webp', width: 1024, height: 683 });
    expect(received.uploadBytes).toBeLessThan(original.length / 4);
    const asset = await creator.get<{ width: number; height: number; url: string }>(`/api/v1/assets/${updated.body.avatarAssetId}`);
    expect({ width: asset.body.width, height: asset.body.height }).toEqual({ width: 1024, height: 683 });
    expect(await page.getByAltText('Your avatar').getAttribute('src')).toMatch(/^blob:/);
    const shown = await (await fetch(`${origin}${asset.body.url}`)).arrayBuffer();
    expect((await sharp(Buffer.from(shown)).metadata()).format).toBe('webp');

    // A ZIP named .png: the browser cannot decode it, sends it as it is, and shows the server's answer.
    await page.getByLabel('Choose an image').setInputFiles(archive);
    await page.getByRole('alert').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('alert').textContent()).toMatch(/Upload a PNG, JPEG, WebP, GIF or AVIF image \(this file is application\/zip\)/);
    expect(cspViolations).toEqual([]);
    await close();
    await rm(files, { recursive: true, force: true });
  }, 90_000);
});
