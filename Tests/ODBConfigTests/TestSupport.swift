@testable import ODBConfig

/// Parses `yaml` as `relay.yaml` and returns the error it produced, or nil if it loaded.
func configError(_ yaml: String) -> ConfigError? {
    do {
        _ = try RelayConfig.parse(yaml: yaml, fileName: "relay.yaml")
        return nil
    } catch {
        return error
    }
}

/// A minimal valid file, for tests that vary one part of it.
let minimalYAML = """
    listeners:
      - listen: :8080
        routes:
          - upstream: api
    upstreams:
      api:
        servers: [127.0.0.1:9000]
    """
