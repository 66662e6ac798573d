import { describe, expect, it } from 'vitest';
import { parseText } from './source.js';

// kubectl reads YAML 1.1 integers (go-yaml): a leading zero means octal.
const volume = (mode: string) => `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers: [{name: c, image: busybox}]
  volumes:
  - name: s
    secret: {secretName: s, defaultMode: ${mode}}
`;

const modeOf = (text: string): unknown => {
  const r = parseText('pod.yaml', text);
  const pod = r.objects[0]!.value as { spec: { volumes: { secret: { defaultMode: unknown } }[] } };
  return pod.spec.volumes[0]!.secret.defaultMode;
};

describe('YAML numbers as kubectl reads them', () => {
  it.each([
    ['0400 (the docs\' octal) -> 256', '0400', 256],
    ['0644 -> 420', '0644', 420],
    ['420 (decimal) -> 420', '420', 420],
    ['0o400 (YAML 1.2 octal) -> 256', '0o400', 256],
    ['0x1A4 -> 420', '0x1A4', 420],
    ['"0400" quoted stays a string', '"0400"', '0400'],
    ['0 -> 0', '0', 0],
  ])('%s', (_name, text, want) => {
    expect(modeOf(volume(text))).toBe(want);
  });

  it('09 is no octal number: decimal 9', () => {
    expect(modeOf(volume('09'))).toBe(9);
  });
});
