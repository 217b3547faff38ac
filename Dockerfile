# syntax=docker/dockerfile:1
# wick: multi-stage build. Stage 1 compiles TypeScript with dev dependencies; stage 2 holds only
# production dependencies, the compiled code, the bundled model and the demo sample.
# No secret is baked in: configuration comes from the environment at run time.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# .npmrc skips onnxruntime-node's CUDA download (no network needed; CPU provider ships in the package).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    WICK_HTTP_HOST=0.0.0.0 \
    WICK_HTTP_PORT=8080
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root models ./models
COPY --chown=root:root config ./config
COPY --chown=root:root test/fixtures/sample ./data/sample
# Runs as the unprivileged `node` user; the code is read-only to it.
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.WICK_HTTP_PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/app/cli.js"]
CMD ["paper"]
