// What ProfileView renders, as the public profile API describes it (the public page passes that
// answer as it is; the editor's preview and the heatmap build the same shapes). In a TS module:
// types exported from .svelte files are invisible to the type-aware linter.
import type { Schemas } from '$lib/api/client';

export type ViewProfile = Pick<Schemas['PublicProfile']['profile'], 'displayName' | 'handle' | 'bio' | 'avatarUrl' | 'theme'>;
export type ViewLink = Pick<Schemas['PublicProfile']['links'][number], 'id' | 'title' | 'repository'>;
