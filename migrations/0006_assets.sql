-- Up Migration
-- Uploaded images (avatars first). Every stored byte is one we produced: the upload is decoded and
-- re-encoded (api/assets/image.ts), and the object's key is the SHA-256 of the re-encoded bytes,
-- so identical images share one object and re-uploads cost nothing.
--
-- A row and its object agree: the row is inserted 'pending' before the object is written and turns
-- 'stored' only after the write succeeded; a failed write leaves it 'failed' (or 'pending' if even
-- that update failed). The scheduler's sweep (scheduler/asset-sweep.ts) deletes rows stuck in
-- 'pending' and objects no 'pending' or 'stored' row refers to. Deleting an asset marks it 'deleted';
-- its object goes at the next sweep unless another row still refers to it.
CREATE TABLE assets (
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- 'assets/<64 hex digits>': the SHA-256 of the stored bytes.
  object_key    text        NOT NULL CHECK (object_key ~ '^assets/[0-9a-f]{64}$'),
  content_type  text        NOT NULL CHECK (content_type IN ('image/webp', 'image/avif')),
  size_bytes    integer     NOT NULL CHECK (size_bytes > 0),
  width         integer     NOT NULL CHECK (width > 0),
  height        integer     NOT NULL CHECK (height > 0),
  status        text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'stored', 'failed', 'deleted')),
  -- What validation saw: the detected input type, its size and dimensions, whether it was animated.
  validation    jsonb       NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  -- For the composite foreign key from profiles: an avatar is one of its owner's assets.
  UNIQUE (id, user_id)
);
-- One live row per user and image: a re-upload returns the existing asset (and counts once in the quota).
CREATE UNIQUE INDEX assets_live_per_user ON assets (user_id, object_key) WHERE status IN ('pending', 'stored');
CREATE INDEX assets_by_key ON assets (object_key);
CREATE INDEX assets_by_status ON assets (status, updated_at) WHERE status <> 'stored';

ALTER TABLE assets ENABLE ROW LEVEL SECURITY;
ALTER TABLE assets FORCE ROW LEVEL SECURITY;
CREATE POLICY assets_own ON assets FOR ALL TO linkpulse_app
  USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
GRANT SELECT ON assets TO linkpulse_app;
GRANT INSERT (user_id, object_key, content_type, size_bytes, width, height, validation) ON assets TO linkpulse_app;
GRANT UPDATE (status, updated_at) ON assets TO linkpulse_app;

-- Visitors see a published profile's avatar (its key, to build the URL) and nothing else.
CREATE POLICY assets_avatar ON assets FOR SELECT TO linkpulse_public
  USING (status = 'stored' AND EXISTS (SELECT 1 FROM profiles p WHERE p.avatar_asset_id = assets.id));
GRANT SELECT (id, object_key, width, height) ON assets TO linkpulse_public;

-- The sweep reads every user's keys and states (no content, no owner) and removes dead rows.
CREATE POLICY assets_sweep_read ON assets FOR SELECT TO linkpulse_scheduler USING (true);
CREATE POLICY assets_sweep_delete ON assets FOR DELETE TO linkpulse_scheduler USING (status <> 'stored');
GRANT SELECT (id, object_key, status, updated_at), DELETE ON assets TO linkpulse_scheduler;

-- An avatar must be one of the profile owner's own assets (RLS does not apply to foreign keys, so
-- without the owner in the key a creator could point at someone else's asset id).
ALTER TABLE profiles ADD CONSTRAINT profiles_avatar_owned
  FOREIGN KEY (avatar_asset_id, user_id) REFERENCES assets (id, user_id) ON DELETE SET NULL (avatar_asset_id);

-- Down Migration
ALTER TABLE profiles DROP CONSTRAINT profiles_avatar_owned;
DROP TABLE assets;
