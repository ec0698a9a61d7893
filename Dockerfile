# Copydesk: one static binary (pure Go: SQLite is modernc, no cgo) on a
# distroless base that has CA certificates (for the providers' HTTPS APIs)
# and time zones, no shell and no package manager, running as a non-root
# user.
#
#   docker build -t copydesk:latest --build-arg VERSION=$(git describe --always) .
#   docker run -p 8080:8080 -v copydesk-data:/data copydesk:latest
#
# The embedded mode keeps its SQLite file in /data (a volume); the scale-out
# mode takes COPYDESK_DATABASE_URL and COPYDESK_REDIS_URL (deploy/compose.yaml,
# deploy/k8s).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/copydesk ./cmd/copydesk \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/copydesk /copydesk
# The data directory belongs to the nonroot user (65532).
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV COPYDESK_ADDR=0.0.0.0:8080 \
    COPYDESK_DATA_DIR=/data
EXPOSE 8080
VOLUME ["/data"]
# No curl in the image: the binary asks its own /healthz.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/copydesk", "healthcheck"]
ENTRYPOINT ["/copydesk"]
CMD ["serve"]
