// SQL for assets, always inside withUser(): RLS limits every statement to the caller's assets.
import type { Tx } from '../../lib/postgres/tenant.js';

export type AssetStatus = 'pending' | 'stored' | 'failed' | 'deleted';

export interface AssetRow {
  id: string;
  object_key: string;
  content_type: 'image/webp' | 'image/avif';
  size_bytes: number;
  width: number;
  height: number;
  status: AssetStatus;
  validation: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export interface NewAsset {
  objectKey: string;
  contentType: AssetRow['content_type'];
  sizeBytes: number;
  width: number;
  height: number;
  validation: Record<string, unknown>;
}

const COLUMNS = 'id, object_key, content_type, size_bytes, width, height, status, validation, created_at, updated_at';
/** What counts against the quota: every asset that has or will have an object. */
const LIVE = "status IN ('pending', 'stored')";

export async function storageUsed(tx: Tx): Promise<number> {
  const { rows } = await tx.query<{ used: string }>(`SELECT coalesce(sum(size_bytes), 0) AS used FROM assets WHERE ${LIVE}`);
  return Number(rows[0]!.used);
}

/**
 * The caller's live asset for this object, or a new 'pending' one if the quota allows it. Uploads of
 * one user are serialised here (a transaction-scoped advisory lock), so two concurrent uploads can
 * neither both pass the quota nor create two rows for one image.
 */
export async function reserveAsset(tx: Tx, userId: string, asset: NewAsset, quotaBytes: number): Promise<{ row: AssetRow; created: boolean } | 'over_quota'> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('assets:' || $1, 0))", [userId]);
  const existing = await tx.query<AssetRow>(`SELECT ${COLUMNS} FROM assets WHERE object_key = $1 AND ${LIVE}`, [asset.objectKey]);
  if (existing.rows[0]) return { row: existing.rows[0], created: false };
  if ((await storageUsed(tx)) + asset.sizeBytes > quotaBytes) return 'over_quota';
  const { rows } = await tx.query<AssetRow>(
    `INSERT INTO assets (user_id, object_key, content_type, size_bytes, width, height, validation)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [userId, asset.objectKey, asset.contentType, asset.sizeBytes, asset.width, asset.height, asset.validation],
  );
  return { row: rows[0]!, created: true };
}

export async function setAssetStatus(tx: Tx, assetId: string, status: AssetStatus): Promise<AssetRow | undefined> {
  const { rows } = await tx.query<AssetRow>(`UPDATE assets SET status = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [assetId, status]);
  return rows[0];
}

export async function listAssets(tx: Tx): Promise<AssetRow[]> {
  return (await tx.query<AssetRow>(`SELECT ${COLUMNS} FROM assets WHERE ${LIVE} ORDER BY created_at DESC`)).rows;
}

export async function getAsset(tx: Tx, assetId: string): Promise<AssetRow | undefined> {
  const { rows } = await tx.query<AssetRow>(`SELECT ${COLUMNS} FROM assets WHERE id = $1 AND status <> 'deleted'`, [assetId]);
  return rows[0];
}

/** Marks the asset deleted and takes it off every profile and link that shows it; the handles changed, for cache invalidation. */
export async function deleteAsset(tx: Tx, assetId: string): Promise<{ handles: string[] } | undefined> {
  const { rows } = await tx.query<{ id: string }>(`UPDATE assets SET status = 'deleted', updated_at = now() WHERE id = $1 AND ${LIVE} RETURNING id`, [assetId]);
  if (!rows[0]) return undefined;
  const profiles = await tx.query<{ handle: string }>(
    `WITH avatars AS (UPDATE profiles SET avatar_asset_id = NULL WHERE avatar_asset_id = $1 RETURNING handle),
          thumbnails AS (UPDATE links SET thumbnail_asset_id = NULL WHERE thumbnail_asset_id = $1 RETURNING profile_id)
     SELECT handle FROM avatars
     UNION SELECT p.handle FROM profiles p WHERE p.id IN (SELECT profile_id FROM thumbnails)`,
    [assetId],
  );
  return { handles: profiles.rows.map((row) => row.handle) };
}
