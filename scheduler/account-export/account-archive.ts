// The contents of an account export, written entry by entry into a ZIP (zip-writer.ts):
//
//   README.txt                          what each file holds, and how to read it
//   account.json                        the account (never a password hash, TOTP secret, recovery code or token hash),
//                                       its sessions' devices and its API tokens' names and scopes
//   memberships.json                    every page the account is on, with its role (its own as owner)
//   assets/index.json, assets/<id>.*    its stored images, as stored
//   profiles/<handle>/profile.json      each page it owns, with the page's team
//   profiles/<handle>/links.json        the page's links
//   profiles/<handle>/activity.csv      the page's activity log, oldest first
//   profiles/<handle>/analytics-events.csv  the page's raw analytics: hashed visitor ids only, as the analytics export
//
// PostgreSQL is read as the account (withUser on the app role's pool), so RLS holds the archive to
// what its owner may read; ClickHouse has no RLS, and is asked only about the pages that RLS shows
// this account owns. Pages the account is only a member of are someone else's: they are named in
// memberships.json, not exported.
import { EVENT_EXPORT_COLUMNS, exportEvents, withLinkTitles } from '../../lib/analytics/export-events.query.js';
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { ACTIVITY_CSV_COLUMNS, formatRows } from '../../lib/export-format.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import type { ObjectStorage } from '../../lib/storage/object-storage.js';
import {
  activityPage,
  listLinks,
  listMemberships,
  listOwnedProfiles,
  listSessions,
  listStoredAssets,
  listTeam,
  listTokens,
  readAccount,
  type AssetRow,
} from './account-data.repository.js';
import type { ZipWriter } from './zip-writer.js';

/**
 * Raw events read per query. Parsing and formatting a page holds up the event loop, which a
 * one-process deployment shares with the API: measured on chDB, pages of 10,000 rows (the API's
 * export) held it up to 140 ms at a time, pages of 2,000 up to 42 ms, for 16% more time in all.
 */
const EVENTS_PAGE = 2_000;
/** Activity entries read per transaction. */
const ACTIVITY_PAGE = 5_000;
/** The columns of the activity log's CSV, as GET /profiles/:id/activity/export has them. */
const EXTENSIONS: Record<string, string> = { 'image/webp': 'webp', 'image/avif': 'avif' };

export interface ArchiveDeps {
  /** The app role's pool: every read goes through withUser(). */
  db: Database;
  clickhouse: ClickHouse;
  storage: ObjectStorage;
}

export interface ArchiveSummary {
  profiles: number;
  assets: number;
  activityEntries: number;
  analyticsEvents: number;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

const README = (exportedAt: Date) => `Your Linkpulse data, exported on ${exportedAt.toISOString()}.

Times are UTC, in ISO 8601. JSON files are UTF-8; CSV files are RFC 4180 with a header row (a cell
that a spreadsheet would run as a formula starts with an apostrophe).

account.json              Your account: address, when it was created and confirmed, whether two-factor
                          authentication is on, the devices of your sessions and your API tokens'
                          names and scopes. No password, two-factor secret, recovery code or token.
memberships.json          Every page you are on and your role there (owner for your own pages).
assets/index.json         Your images, and what each file in assets/ is.
profiles/<handle>/        One folder per page you own:
  profile.json            the page (text, look, social links, who is on its team);
  links.json              its links, in page order;
  activity.csv            every change to the page, its links and its team, oldest first, as long
                          as the log keeps them;
  analytics-events.csv    every recorded view and click, oldest first, as long as analytics keep
                          them. visitor_id is not a person: it is a keyed hash of the visitor's
                          address, browser and the page with a salt that changes every UTC day and is
                          deleted a day later, so it cannot be traced back or followed across days.
                          No IP address is stored anywhere. Bots are included (is_bot, bot_kind);
                          your own visits are not.
`;

export async function writeAccountArchive(deps: ArchiveDeps, zip: ZipWriter, userId: string, exportedAt: Date): Promise<ArchiveSummary> {
  // Everything but the activity log and the images in one transaction: one consistent picture.
  const snapshot = await withUser(deps.db, userId, async (tx) => {
    const account = await readAccount(tx, userId);
    if (!account) throw new Error('the account no longer exists');
    const profiles = await listOwnedProfiles(tx, userId);
    return {
      account,
      sessions: await listSessions(tx),
      tokens: await listTokens(tx),
      memberships: await listMemberships(tx, userId),
      assets: await listStoredAssets(tx),
      profiles: await Promise.all(profiles.map(async (profile) => ({ profile, links: await listLinks(tx, profile.id), team: await listTeam(tx, profile.id) }))),
    };
  });
  const modified = exportedAt;
  const summary: ArchiveSummary = { profiles: snapshot.profiles.length, assets: 0, activityEntries: 0, analyticsEvents: 0 };

  await zip.add('README.txt', README(exportedAt), { compress: true, modified });
  const { account } = snapshot;
  await zip.add(
    'account.json',
    json({
      id: account.id,
      email: account.email,
      emailConfirmedAt: account.email_verified_at,
      createdAt: account.created_at,
      passwordChangedAt: account.password_changed_at,
      twoFactorEnabled: account.two_factor_enabled,
      role: account.role,
      sessions: snapshot.sessions.map((session) => ({ device: session.user_agent, createdAt: session.created_at, expiresAt: session.expires_at, revokedAt: session.revoked_at })),
      apiTokens: snapshot.tokens.map((token) => ({
        id: token.id,
        name: token.name,
        scopes: token.scopes,
        createdAt: token.created_at,
        expiresAt: token.expires_at,
        lastUsedAt: token.last_used_at,
        revokedAt: token.revoked_at,
      })),
      exportedAt,
    }),
    { compress: true, modified },
  );
  await zip.add(
    'memberships.json',
    json(
      snapshot.memberships.map((membership) => ({
        profileId: membership.profile_id,
        handle: membership.handle,
        displayName: membership.display_name,
        role: membership.role,
        since: membership.joined_at,
        ownedByYou: membership.is_owner,
      })),
    ),
    { compress: true, modified },
  );

  // Images first, so the pages' files can point at the ones that made it into the archive.
  const files = new Map<string, string>();
  const index: { id: string; file: string | null; contentType: string; sizeBytes: number; width: number; height: number; uploadedAt: Date; note?: string }[] = [];
  for (const asset of snapshot.assets) {
    const file = await copyAsset(deps.storage, zip, asset);
    if (file) {
      files.set(asset.id, file);
      summary.assets++;
    }
    index.push({
      id: asset.id,
      file,
      contentType: asset.content_type,
      sizeBytes: asset.size_bytes,
      width: asset.width,
      height: asset.height,
      uploadedAt: asset.created_at,
      ...(file ? {} : { note: 'the stored file could not be found' }),
    });
  }
  await zip.add('assets/index.json', json(index), { compress: true, modified });
  const image = (assetId: string | null) => (assetId === null ? null : { assetId, file: files.get(assetId) ?? null });

  for (const { profile, links, team } of snapshot.profiles) {
    const folder = `profiles/${profile.handle}`;
    await zip.add(
      `${folder}/profile.json`,
      json({
        id: profile.id,
        handle: profile.handle,
        displayName: profile.display_name,
        bio: profile.bio,
        published: profile.published,
        theme: profile.theme,
        pageTheme: profile.page_theme,
        accentColor: profile.accent_color,
        socialLinks: profile.social_links,
        respectGpc: profile.respect_gpc,
        // file is null for an image another member of the team uploaded: theirs, not in this archive.
        avatar: image(profile.avatar_asset_id),
        team: team.map((member) => ({ userId: member.user_id, email: member.email, role: member.role, joinedAt: member.joined_at })),
        createdAt: profile.created_at,
        updatedAt: profile.updated_at,
      }),
      { compress: true, modified },
    );
    await zip.add(
      `${folder}/links.json`,
      json(
        links.map((link) => ({
          id: link.id,
          position: link.position,
          title: link.title,
          url: link.url,
          kind: link.kind,
          githubRepository: link.github_repository,
          enabled: link.enabled,
          startsAt: link.starts_at,
          endsAt: link.ends_at,
          icon: link.icon,
          thumbnail: image(link.thumbnail_asset_id),
          syncIntervalMinutes: link.sync_interval_minutes,
          createdAt: link.created_at,
          updatedAt: link.updated_at,
        })),
      ),
      { compress: true, modified },
    );

    const emails = new Map(team.map((member) => [member.user_id, member.email]));
    const activity = activityPages(deps.db, userId, profile.id, (count) => (summary.activityEntries += count));
    const activityRows = (async function* rows() {
      for await (const page of activity) {
        yield page.map((entry) => ({
          occurred_at: entry.occurred_at.toISOString(),
          // Named while they are on the team, as the activity log shows them.
          actor_email: entry.actor_user_id ? (emails.get(entry.actor_user_id) ?? null) : null,
          actor_user_id: entry.actor_user_id,
          actor_token_id: entry.actor_token_id,
          entity: entry.entity,
          entity_id: entry.entity_id,
          action: entry.action,
          changes: entry.changes,
        }));
      }
    })();
    await zip.add(`${folder}/activity.csv`, formatRows(activityRows, ACTIVITY_CSV_COLUMNS, 'csv'), { compress: true, modified });

    const titles = new Map(links.map((link) => [link.id, link.title]));
    const events = exportEvents(deps.clickhouse, { profileId: profile.id, from: new Date(0), to: exportedAt, filters: {} }, EVENTS_PAGE);
    const counted = (async function* count() {
      for await (const page of withLinkTitles(events, titles)) {
        summary.analyticsEvents += page.length;
        yield page;
      }
    })();
    await zip.add(`${folder}/analytics-events.csv`, formatRows(counted, EVENT_EXPORT_COLUMNS, 'csv'), { compress: true, modified });
  }
  return summary;
}

/** A profile's activity log page by page, each page its own short transaction (an export may take minutes). */
async function* activityPages(db: Database, userId: string, profileId: string, onPage: (count: number) => void) {
  let after: string | undefined;
  for (;;) {
    const page = await withUser(db, userId, (tx) => activityPage(tx, profileId, after, ACTIVITY_PAGE));
    if (page.length === 0) return;
    onPage(page.length);
    yield page;
    if (page.length < ACTIVITY_PAGE) return;
    after = page.at(-1)!.id;
  }
}

/** Copies one image from object storage into assets/; its file name, or null when the object is missing. */
async function copyAsset(storage: ObjectStorage, zip: ZipWriter, asset: AssetRow): Promise<string | null> {
  const object = await storage.get(asset.object_key);
  if (!object) return null;
  const file = `assets/${asset.id}.${EXTENSIONS[asset.content_type] ?? 'bin'}`;
  await zip.add(file, object.body, { compress: false, modified: asset.created_at });
  return file;
}
