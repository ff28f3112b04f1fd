// What /dashboard/<profile>/… pages get from their layout: the ready session and the profile they
// work on. The layout renders its pages only once both exist, so a page can read them directly.
import { getContext, setContext } from 'svelte';
import type { Profile, ReadySession } from './session';

export interface ProfileContext {
  readonly session: ReadySession;
  readonly profile: Profile;
  /** After a page saved the profile: the layout's navigation shows the new handle and name. */
  updated(changes: Partial<Profile>): void;
}

const KEY = Symbol('linkpulse.profile');

export const setProfileContext = (context: ProfileContext) => setContext(KEY, context);
export const profileContext = () => getContext<ProfileContext>(KEY);
