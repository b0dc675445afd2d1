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
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 6380
ENTRYPOINT ["node", "dist/cli/main.js"]
