import { defineConfig } from "vite";

// The indexer serves dist/ at `/` and its REST API beside it (same origin). `npm run dev`
// proxies the API to an indexer on OSIRIS_INDEXER_URL (default http://127.0.0.1:8080).
const indexer = process.env.OSIRIS_INDEXER_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  build: { target: "es2022", sourcemap: false, chunkSizeWarningLimit: 4096 },
  server: {
    proxy: { "/v1": indexer, "/contracts": indexer },
  },
});
