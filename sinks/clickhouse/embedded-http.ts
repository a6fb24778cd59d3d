// The embedded engine's HTTP interface lives in embedded-http/; this path stays for its importers.
export { serveEmbeddedClickHouse, openEmbeddedAccess, type EmbeddedHttpServer, type EmbeddedHttpOptions, type EmbeddedAccess } from './embedded-http/index.ts'
