# syntax=docker/dockerfile:1
# wick: multi-stage build. Stage 1 compiles TypeScript with dev dependencies; stage 2 holds only
# production dependencies, the compiled code, the bundled model and the demo sample.
# No secret is baked in: configuration comes from the environment at run time.
# One image serves every service of compose.yaml (paper, demo, simulator, sandbox).

FROM node:24-bookworm-slim AS build
WORKDIR /app
# onnxruntime-node's install script would download CUDA binaries: package.json's allowScripts denies
# it, and this variable skips it for an npm that predates allowScripts. The CPU provider ships in the
# package; CUDA has its own image (docker/Dockerfile.cuda).
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund \
 # Only the Linux binaries of onnxruntime (the package ships macOS and Windows ones too).
 && find node_modules/onnxruntime-node/bin -mindepth 2 -maxdepth 2 -type d ! -name linux -exec rm -rf {} + \
 && mkdir -p /app/run-wick /app/results

FROM node:24-bookworm-slim AS runtime
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
# The only folders wick writes: the generated operator API token (a volume in compose.yaml) and the
# demo's results (a bind mount). Everything else is read-only to the `node` user (compose also mounts
# the root filesystem read-only).
COPY --from=build --chown=node:node /app/run-wick /run/wick
COPY --from=build --chown=node:node /app/results /app/results
# Runs as the unprivileged `node` user; the code is read-only to it.
USER node
EXPOSE 8080
# Liveness only: /livez answers while the process works. Trading state (a tripped kill switch, stale
# data, Redis down) is /readyz, which must not get a halted bot restarted.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.WICK_HTTP_PORT || 8080) + '/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/app/cli.js"]
CMD ["paper"]
