# One image for both processes: the gateway is the default command, and docker-compose.yml
# overrides the command for the worker. There is no build step: tsx runs the TypeScript
# sources directly, as `npm run worker` / `npm run gateway` do, and the worker bundles the
# workflow sources itself at start.
# Node 24, the current LTS line (Node 20 reached end of life in April 2026).
FROM node:24-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# Manifests first so the dependency layer is rebuilt only when they change.
# tsx is a runtime dependency, so --omit=dev keeps it. The Temporal worker's native
# core-bridge needs glibc, hence a Debian (bookworm) base rather than Alpine.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# tsx reads tsconfig.json for module settings, so the container behaves like `npm run`.
COPY tsconfig.json ./
COPY src ./src
COPY playbooks ./playbooks
COPY config ./config
# `npm run keys` for the decision-keys service; /keys exists owned by the app user, so the named
# volume mounted there is writable by it.
COPY scripts/decision-keys.ts ./scripts/decision-keys.ts
RUN mkdir /keys && chown node:node /keys

# The files stay owned by root and read-only to the process; tsx caches in /tmp.
USER node

EXPOSE 8080
CMD ["node_modules/.bin/tsx", "src/api/main.ts"]
