-- Up Migration
-- Pages worth sharing: a designed theme per profile (lib/profiles/page-themes.ts; `theme` stays the
-- colour scheme), a row of social icons, and an icon or thumbnail per link. Theme and icon ids are
-- checked for shape here and for membership by the API, so adding a theme needs no migration.
ALTER TABLE profiles
  ADD COLUMN page_theme   text  NOT NULL DEFAULT 'classic' CHECK (page_theme ~ '^[a-z][a-z0-9-]{0,31}$'),
  -- [{"network": "github", "url": "https://github.com/…"}, …] in the order shown; validated by the API.
  ADD COLUMN social_links jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(social_links) = 'array' AND jsonb_array_length(social_links) <= 12 AND pg_column_size(social_links) <= 16384);

ALTER TABLE links
  -- A chosen icon, 'none' for none; null: the icon of the link's site when it is a known network.
  ADD COLUMN icon               text CHECK (icon ~ '^[a-z][a-z0-9-]{0,31}$'),
  ADD COLUMN thumbnail_asset_id uuid;
-- A thumbnail is one of the link owner's own images (RLS does not apply to foreign keys).
ALTER TABLE links ADD CONSTRAINT links_thumbnail_owned
  FOREIGN KEY (thumbnail_asset_id, user_id) REFERENCES assets (id, user_id) ON DELETE SET NULL (thumbnail_asset_id);
CREATE INDEX links_thumbnail_asset_id_idx ON links (thumbnail_asset_id) WHERE thumbnail_asset_id IS NOT NULL;

GRANT INSERT (page_theme, social_links), UPDATE (page_theme, social_links) ON profiles TO linkpulse_app;
GRANT SELECT (page_theme, social_links) ON profiles TO linkpulse_public;
GRANT INSERT (icon, thumbnail_asset_id), UPDATE (icon, thumbnail_asset_id) ON links TO linkpulse_app;
GRANT SELECT (icon, thumbnail_asset_id) ON links TO linkpulse_public;

-- Visitors see the thumbnails of the links they can see (links' own policies decide which).
CREATE POLICY assets_link_thumbnail ON assets FOR SELECT TO linkpulse_public
  USING (status = 'stored' AND EXISTS (SELECT 1 FROM links l WHERE l.thumbnail_asset_id = assets.id));

-- Down Migration
DROP POLICY assets_link_thumbnail ON assets;
ALTER TABLE links DROP CONSTRAINT links_thumbnail_owned;
ALTER TABLE links DROP COLUMN thumbnail_asset_id, DROP COLUMN icon;
ALTER TABLE profiles DROP COLUMN social_links, DROP COLUMN page_theme;
