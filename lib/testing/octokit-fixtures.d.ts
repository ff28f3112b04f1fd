// @octokit/fixtures ships no types; the one function used here.
declare module '@octokit/fixtures' {
  const fixtures: {
    /** The recorded exchanges of a scenario, e.g. 'api.github.com/get-repository'. */
    get(scenario: string): unknown[];
  };
  export default fixtures;
}
