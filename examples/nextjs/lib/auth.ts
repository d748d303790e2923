// Better Auth on the Next.js server: email and password accounts, and the jwt plugin, whose tokens the Todo
// API verifies with the keys this app publishes at /api/auth/jwks.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { betterAuth, type BetterAuthOptions } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { jwt } from "better-auth/plugins";
import Database from "better-sqlite3";
import { Pool } from "pg";

const DEFAULT_DATABASE = "file:.data/auth.sqlite";

/** Better Auth's own tables: PostgreSQL for a `postgres://` URL, else a SQLite file (`file:<path>`). */
function database(url: string = process.env.DATABASE_URL || DEFAULT_DATABASE) {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    return new Pool({ connectionString: url });
  }
  if (!url.startsWith("file:")) {
    throw new Error("DATABASE_URL must be postgres://… or file:<path of a SQLite file>");
  }
  const path = url.slice("file:".length);
  mkdirSync(dirname(path), { recursive: true });
  return new Database(path);
}

const options = {
  baseURL: process.env.BETTER_AUTH_URL, // this app's origin: the API's BETTER_AUTH_URL names the same
  secret: process.env.BETTER_AUTH_SECRET,
  database: database(),
  emailAndPassword: { enabled: true },
  // EdDSA keys, iss = aud = baseURL, 15-minute tokens: the defaults are what the API expects.
  plugins: [jwt()],
  telemetry: { enabled: false },
} satisfies BetterAuthOptions;

export const auth = betterAuth(options);

/** Creates or completes Better Auth's tables with the installed package (no CLI of another version). */
export async function migrate(): Promise<void> {
  const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(options);
  if (toBeCreated.length || toBeAdded.length) {
    await runMigrations();
  }
}
