/**
 * `bottleneck/light.js`: Bottleneck without its Redis clustering (the build @octokit/plugin-retry
 * and @octokit/plugin-throttling import). Same API as the package's main entry, which has the types.
 */
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
