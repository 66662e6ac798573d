// Which kubeconfig files kubectl reads, on its own: the live source (cli/live-source.ts) needs
// it without the `yaml` library that kubeconfig.ts's edits of those files load.

/** The files kubectl reads, in order: $KUBECONFIG's list (empty and repeated entries dropped), else ~/.kube/config. */
export function kubeconfigPaths(env: { readonly KUBECONFIG?: string | undefined; readonly HOME?: string | undefined }, home: string): string[] {
  const listed = [...new Set((env.KUBECONFIG ?? '').split(':').filter((p) => p !== ''))];
  return listed.length > 0 ? listed : [`${env.HOME || home}/.kube/config`];
}
