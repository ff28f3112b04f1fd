// Toasts: short confirmations of what just happened ("Saved.", "Link added."), shown for a few seconds
// in one polite live region (Toaster.svelte, mounted once per layout). Refusals are not toasts: they
// stay next to the field or form they concern until the creator acts.
const VISIBLE_MS = 5_000;
const MAX_SHOWN = 3;

export interface Toast {
  id: number;
  text: string;
}

export const toasts: Toast[] = $state([]);
let nextId = 1;

export function dismissToast(id: number): void {
  const index = toasts.findIndex((toast) => toast.id === id);
  if (index >= 0) toasts.splice(index, 1);
}

/** Shows `text` for a few seconds (the oldest goes when more than three are up). */
export function toast(text: string): void {
  const id = nextId++;
  toasts.push({ id, text });
  if (toasts.length > MAX_SHOWN) toasts.splice(0, toasts.length - MAX_SHOWN);
  setTimeout(() => dismissToast(id), VISIBLE_MS);
}
