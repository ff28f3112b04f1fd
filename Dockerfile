# One image for every Linkpulse role; the command picks the role (see docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY dashboard/package.json dashboard/package.json
COPY . .
# npm ci runs the root package's `prepare` script, which builds the server (dist/) and the dashboard.
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/dashboard/build ./dashboard/build
COPY --from=build --chown=node:node /app/dashboard/package.json ./dashboard/package.json
COPY --from=build --chown=node:node /app/migrations ./migrations
COPY --from=build --chown=node:node /app/clickhouse ./clickhouse
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/server/cli.js"]
CMD ["start"]
