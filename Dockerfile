# drsorch's container image: the binary built in a Go image, run as a
# non-root user in a distroless one (CA certificates, no shell).
#
#   docker build -t drsorch .
#   docker run -p 8080:8080 -e DRSORCH_LISTEN=0.0.0.0:8080 \
#     -e DRSORCH_STORE='dynamodb://drsorch?region=us-east-1' drsorch serve

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a change of code alone reuses their layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/drsorch ./cmd/drsorch

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/drsorch /usr/local/bin/drsorch
USER 65532:65532
EXPOSE 8080
ENV DRSORCH_LISTEN=0.0.0.0:8080 DRSORCH_LOG_FORMAT=json
ENTRYPOINT ["/usr/local/bin/drsorch"]
CMD ["serve"]
