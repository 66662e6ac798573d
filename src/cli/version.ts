// knet's version, in a module of its own with no imports: `knet --version` prints it before
// anything else loads (bin.ts). A test holds it equal to package.json's.
export const VERSION = '0.1.0';
