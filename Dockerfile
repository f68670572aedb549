# syntax=docker/dockerfile:1
# migrator's image: `migrate` is the entrypoint, migrations are mounted at /migrations.
#   docker build -t migrator .
#   docker run --rm -v "$PWD/migrations:/migrations" -e DATABASE_URL migrator up
# docs/installation.md#docker has the other layouts (whole project, config file, SQLite, create).

# --- build: compile and bundle the TypeScript, and the better-sqlite3 native module --------------
FROM node:20-bookworm-slim AS build

# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
COPY bin ./bin

# npm ci runs the prepare script (the build) too; the explicit build keeps the step obvious. Then
# only the runtime dependencies stay, for the next stage to copy.
RUN npm ci --no-audit --no-fund \
    && npm run build \
    && npm prune --omit=dev \
    && rm -rf dist/.tsbuildinfo

# --- runtime: only what `migrate` needs, as a non-root user ---------------------------------------
# The same Debian base as the build stage, so the compiled better-sqlite3 matches its glibc. Not
# distroless: password.command, backup.command and hooks run through /bin/sh, and derived images
# add the CLIs they call (vault, aws, psql).
FROM node:20-bookworm-slim AS runtime

LABEL org.opencontainers.image.title="migrator" \
      org.opencontainers.image.description="migrate: safe, clear, fast database migrations for PostgreSQL, MySQL/MariaDB and SQLite" \
      org.opencontainers.image.licenses="MIT"

ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin

# /work is the working directory (writable by the non-root "node" user, uid 1000, for a SQLite file
# or a .env); its ./migrations, the default migrations directory, points to the /migrations mount.
# Mounting a whole project on /work instead uses the project's own migrations and config file.
RUN mkdir -p /migrations /work \
    && ln -s /migrations /work/migrations \
    && chown node:node /migrations /work
USER node
WORKDIR /work

ENTRYPOINT ["node", "/app/bin/migrate"]
CMD ["--help"]
