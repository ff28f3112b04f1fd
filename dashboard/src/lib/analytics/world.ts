// The world map's shapes: Natural Earth 1:110m countries from world-atlas (TopoJSON, bundled: no
// CDN), projected with Equal Earth into SVG path data, in the browser. world-atlas identifies
// countries by ISO 3166-1 numeric code; the analytics use alpha-2, mapped by i18n-iso-countries'
// code table. Loaded on demand, so the map's 100 KB never delay the rest of the page.
import type { FeatureCollection, Geometry } from 'geojson';
import type { GeometryCollection, Topology } from 'topojson-specification';

export const MAP_WIDTH = 960;
export const MAP_HEIGHT = 440;

export interface CountryShape {
  /** ISO 3166-1 alpha-2, or '' for areas without one (e.g. Northern Cyprus). */
  code: string;
  name: string;
  /** SVG path data in a MAP_WIDTH × MAP_HEIGHT box. */
  d: string;
}

/** Alpha-2 codes by numeric code ("276" → "DE"), from rows [alpha-2, alpha-3, numeric, …]. */
export function numericToAlpha2(rows: readonly (readonly string[])[]): Map<string, string> {
  return new Map(rows.flatMap((row) => (row[0] && row[2] ? [[row[2], row[0]] as const] : [])));
}

let shapes: Promise<CountryShape[]> | undefined;

export function loadWorldShapes(): Promise<CountryShape[]> {
  shapes ??= (async () => {
    const [{ feature }, { geoEqualEarth, geoPath }, atlas, codes] = await Promise.all([
      import('topojson-client'),
      import('d3-geo'),
      import('world-atlas/countries-110m.json'),
      import('i18n-iso-countries/codes.json'),
    ]);
    const topology = atlas.default as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
    const alpha2 = numericToAlpha2(codes.default);
    const world = feature(topology, topology.objects.countries) as FeatureCollection<Geometry, { name: string }>;
    // Antarctica takes a fifth of the height and holds no visitors.
    const features = world.features.filter((country) => country.id !== '010');
    const projection = geoEqualEarth().fitSize([MAP_WIDTH, MAP_HEIGHT], { type: 'FeatureCollection', features });
    const path = geoPath(projection);
    return features.map((country) => ({
      code: alpha2.get(String(country.id ?? '')) ?? '',
      name: country.properties.name,
      d: path(country) ?? '',
    }));
  })();
  shapes.catch(() => (shapes = undefined));
  return shapes;
}
