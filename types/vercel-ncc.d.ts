declare module '@vercel/ncc' {
  interface NccOptions {
    minify?: boolean;
    sourceMap?: boolean;
    quiet?: boolean;
    target?: string;
    license?: string;
  }
  export default function ncc(
    entry: string,
    options?: NccOptions
  ): Promise<{ code: string; map?: string; assets?: Record<string, { source: string | Buffer }> }>;
}
