/// A complete, annotated configuration file.
///
/// Printed by `odb-redirect relay --print-example-config` as a starting point; the tests
/// parse it, so it cannot drift out of sync with the loader.
public enum ConfigExample {
    public static let yaml = """
        # odb-redirect relay configuration.
        # Durations: 250ms, 10s, 2m, 1h, or a plain number of seconds.
        # Sizes: plain bytes, or KiB / MiB / GiB (powers of 1024).
        # Unknown keys are errors, so a typo cannot silently fall back to a default.

        workers: 2                          # default: number of online CPUs
        pin_dir: \(RelayConfig.defaultPinDirectory)   # where BPF maps and programs are pinned
        user: odb                           # started as root: switch to this user after setup,
                                            # keeping only the capabilities the relay needs
        group: odb                          # default: the user's primary group

        timeouts:
          connect: 5s                       # TCP connect to an upstream server
          head_read: 10s                    # the whole request head must arrive within this
          idle: 60s                         # a connection idle between requests (once the
                                            #   client stops acknowledging its last answer),
                                            #   or an exchange with no byte moving: 504 before
                                            #   the answer began, else the connection is aborted
          shutdown_grace: 30s               # in-flight exchanges may finish within this
          max_connection_age: 1h            # a client connection closes (Connection: close) past this
          max_exchange_time: 1h             # request head to end of answer: 504 before the answer
                                            #   began, else the connection is aborted
          min_body_rate: 256                # bytes/s a body must move while the client is awaited;
          min_body_rate_window: 30s         #   averaged over this window; 0 turns the floor off

        limits:
          max_head_bytes: 64KiB             # 1KiB ... 1MiB
          max_headers: 100
          max_connections: 10000
          max_connections_per_client: 0     # per client address, all workers; 0: no cap
          max_requests_per_connection: 10000  # the last answer says Connection: close; 0: no cap
          kernel_buffer_memory: 2GiB        # socket memory all kernel flows may force past
                                            #   net.core.*_max (4-8MiB + 2 x send buffer each)
          kernel_send_buffer: 4MiB          # target send buffer a worker's open kernel flows
                                            #   share: 1MiB each at least, flow_budget at most

        admin:
          listen: 127.0.0.1:9901            # GET /metrics (Prometheus); keep it private
          socket: /run/odb-redirect/admin.sock  # and/or a unix socket, mode 0600
          metrics: true

        log:
          level: info                       # trace debug info notice warning error critical
          format: text                      # text | json
          access_log: true

        odb:                                # virtual payload between relays (docs/DESIGN.md)
          name: relay-a                     # this relay's holder name in the descriptors it issues
          secret: change-me-to-a-long-shared-secret   # or secret_file: PATH (its first line);
                                            #   16+ visible characters, the same on every peer
          claim_listen: 127.0.0.1:7000      # where peers claim payloads this relay holds
          hold_timeout: 10s                 # an unclaimed payload is released after this
          max_held_payloads: 1000           # past either cap, bodies are served for real
          max_held_bytes: 256MiB            # socket memory held payloads may occupy
          peers:                            # holder name -> claim address: the only places
            relay-b: 10.0.0.2:7000          #   this relay claims from

        listeners:
          - listen: 0.0.0.0:8080            # host:port, [v6]:port, or :port for all addresses
            trust_forwarded: false          # keep clients' X-Forwarded-For/-Proto (true only
                                            #   behind another relay; false starts them afresh)
            # A request takes the route with the most specific host (exact, then wildcard,
            # then none) and, among those, the longest path_prefix.
            routes:
              - host: example.com           # case-insensitive; the request's :port is ignored
                path_prefix: /api/
                upstream: api
                mode: kernel                # kernel | splice | copy | auto
                kernel_min_body: 64KiB      # smaller bodies are copied in user space
                auto_splice_min_body: 128KiB # auto mode: smaller bodies are copied, larger ones
                                            #   spliced outside the kernel band
                auto_local_splice_min_body: 8MiB # the same where a client or an upstream on this
                                            #   host reads the body (a loopback address or the
                                            #   connection's own), not an ODB peer relay
                auto_min_body: 1024GiB      # auto mode: the kernel band starts here (none)
                kernel_max_body: 64MiB      # auto mode: the kernel band ends here
                flow_budget: 16MiB          # most in-flight kernel bytes per flow; paced to the reader
                allow_connect: false        # CONNECT tunnels through this route
                odb: off                    # off | holder (hold the origin's bodies for peers)
                                            #   | intermediate (pass descriptors on to peers,
                                            #   claim for plain clients) | edge (always claim:
                                            #   the route needs the bytes)
              - host: "*.example.com"       # quoted: a bare * starts a YAML alias
                upstream: web
              - path_prefix: /              # any host, any path
                upstream: web
                mode: splice
                allow_http2_prior_knowledge: false  # the catch-all route only: a connection
                                            #   opening with the HTTP/2 preface becomes a byte
                                            #   stream over a fresh upstream connection
          - listen: "[::]:8443"
            routes:
              - upstream: api
                mode: copy

        upstreams:
          api:
            servers: [127.0.0.1:9000, "[::1]:9000", "backend.internal:80"]
            max_idle_per_server: 32
            fail_timeout: 10s               # a failed server is skipped this long
            odb_peer: false                 # true: the servers are ODB peers (relays or an
                                            #   ODB-aware origin), needed by intermediate/edge routes
          web:
            servers:
              - 127.0.0.1:9100
        """
}
