// The part of s3rver (a local S3-compatible server, a devDependency) the
// archive tests and the bench use; the package has no types of its own.
declare module 's3rver' {
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    configureBuckets?: Array<{
      name: string;
      configs?: Array<string | Buffer>;
    }>;
  }
  class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<{ address: string; port: number; family: string }>;
    close(): Promise<void>;
  }
  export = S3rver;
}
