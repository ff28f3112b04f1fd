// What ProfileView renders, as the public profile API describes it (the public page passes that
// answer as it is; the editor's preview and the heatmap build the same shapes). In a TS module:
// types exported from .svelte files are invisible to the type-aware linter.
import type { Schemas } from '$lib/api/client';
import { linkIconFor } from '../../../../lib/profiles/social-links.js';

export type ViewProfile = Pick<Schemas['PublicProfile']['profile'], 'displayName' | 'handle' | 'bio' | 'avatarUrl' | 'theme' | 'socialLinks'>;
export type ViewLink = Pick<Schemas['PublicProfile']['links'][number], 'id' | 'title' | 'repository' | 'icon' | 'thumbnailUrl'>;

/** A creator's own link (the owner's API) as visitors will see it: its icon chosen or found from its site. */
export const viewLinkOf = (link: Pick<Schemas['Link'], 'id' | 'title' | 'url' | 'github' | 'icon' | 'thumbnailUrl'>): ViewLink => ({
  id: link.id,
  title: link.title,
  repository: link.github,
  icon: linkIconFor(link),
  thumbnailUrl: link.thumbnailUrl,
});
