// Work that only matters once a reader gets near it (the world map's geometry, the heatmap's live
// render of the profile page) waits until its element comes within a screen of the viewport, so a
// phone's first paint and main thread are spent on the panels above the fold.

/** Calls `onnear` once, when `node` first comes within `margin` of the viewport (at once where IntersectionObserver is missing). */
export function nearViewport(node: Element, onnear: () => void, margin = '100% 0px'): () => void {
  if (typeof IntersectionObserver === 'undefined') {
    onnear();
    return () => undefined;
  }
  const observer = new IntersectionObserver(
    (entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      onnear();
    },
    { rootMargin: margin },
  );
  observer.observe(node);
  return () => observer.disconnect();
}
