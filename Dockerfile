# syntax=docker/dockerfile:1
# migrator: `docker run --rm -v "$PWD:/work" migrator up` runs `migrate up` in the mounted project.

# --- build: compile TypeScript and the better-sqlite3 native module -------------------------------
FROM node:20-bookworm-slim AS build

# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin

# npm ci runs the prepare script (the build) too; the explicit build keeps the step obvious.
RUN npm ci --no-audit --no-fund \
    && npm run build \
    && npm prune --omit=dev

# --- runtime: only what `migrate` needs, as a non-root user ---------------------------------------
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin

# The node image ships a non-root "node" user (uid 1000). /work is where the project is mounted.
RUN mkdir /work && chown node:node /work
USER node
WORKDIR /work

ENTRYPOINT ["node", "/app/bin/migrate"]
CMD ["status"]
