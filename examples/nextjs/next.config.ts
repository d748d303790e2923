import type { NextConfig } from "next";

const config: NextConfig = {
  // better-sqlite3 and pg are Node.js packages with native or optional parts: load them at run time, unbundled.
  serverExternalPackages: ["better-sqlite3", "pg"],
};

export default config;
