"""The relay configuration the measurement tools start: one listener, one route, one upstream."""


def write_single_route(path, listen, upstream, mode, pin, workers, route=()):
    """Writes to `path` a relay of `workers` workers with its own pin set `pin`, no access log,
    listening on `listen` (host:port), whose one route sends every request to `upstream`
    (host:port) in `mode`, with the further route keys of `route` (lines such as
    "flow_budget: 1MiB")."""
    extra = "".join(f"\n        {line}" for line in route)
    with open(path, "w") as file:
        file.write(f"""workers: {workers}
pin_dir: {pin}
log:
  level: warning
  access_log: false
listeners:
  - listen: "{listen}"
    routes:
      - upstream: next
        mode: {mode}{extra}
upstreams:
  next:
    servers: ["{upstream}"]
""")
