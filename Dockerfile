# dialbook in a container: a build stage runs packaging/build.sh (the same script the tests run),
# the runtime stage holds only the compiled tree and production dependencies, runs as an
# unprivileged user, keeps its data in a volume and reports health through /readyz.
#   docker build -t dialbook . && docker compose up -d

FROM node:24-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN packaging/build.sh /app

FROM node:24-bookworm-slim
RUN groupadd --system dialbook \
 && useradd --system --gid dialbook --home-dir /var/lib/dialbook --shell /usr/sbin/nologin dialbook \
 && install -d -o dialbook -g dialbook -m 0700 /var/lib/dialbook
COPY --from=build /app /opt/dialbook
WORKDIR /opt/dialbook
ENV NODE_ENV=production \
    DIALBOOK_DATA_DIR=/var/lib/dialbook \
    DIALBOOK_HTTP_PORT=8080 \
    DIALBOOK_LDAP_PORT=3890
VOLUME ["/var/lib/dialbook"]
EXPOSE 8080 3890
USER dialbook
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.DIALBOOK_HTTP_PORT + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Shutdown: SIGTERM lets in-flight requests finish (http.shutdownGraceMs).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/dialbook/bin/dialbook.js"]
CMD ["serve"]
