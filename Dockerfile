# nova-ts: one image, every role. Run e.g.
#   docker run -v /etc/nova:/etc/nova nova-ts --role=compute --config-file /etc/nova/nova.conf
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /opt/nova-ts
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY --from=build /src/config ./config
COPY --from=build /src/nova.conf.example ./
RUN ln -s /opt/nova-ts/bin/nova /usr/local/bin/nova && mkdir -p /var/lib/nova
ENTRYPOINT ["nova"]
CMD ["--role=all", "--config-file", "/opt/nova-ts/config/nova-all-in-one.conf"]
