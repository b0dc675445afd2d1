# jupiter's image: built from source with the locked dependencies, run as `jupiter serve`
# (configure with JUPITER_* and OTEL_* variables, or mount a file and pass --config).
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --engine-strict --ignore-scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
# Reachable from outside the container; /metrics, /healthz and /readyz on 9121.
ENV JUPITER_BIND=0.0.0.0 JUPITER_METRICS_PORT=9121 JUPITER_METRICS_BIND=0.0.0.0
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 6380 9121
# The slim image has no curl: Node's own fetch asks /healthz.
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.JUPITER_METRICS_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
