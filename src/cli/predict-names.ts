// The commands of the Predict face that bin.ts runs from the Predict bundle without loading
// the whole command line. Without imports: bin.ts reads it before anything else loads.
export const PREDICT_NAMES = ['get', 'dns', 'resolv-conf', 'route', 'trace', 'diagnose'] as const;

export type PredictName = (typeof PREDICT_NAMES)[number];

export function isPredictName(name: string | undefined): name is PredictName {
  return (PREDICT_NAMES as readonly (string | undefined)[]).includes(name);
}

/** The build's bundle that runs a Predict command (scripts/bundle-bin.mjs), in dist/cli. */
export function bundleOf(name: PredictName): string {
  return name === 'get' ? 'predict-get.cjs' : 'predict.cjs';
}
