#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Yams

extension RelayConfig {
    static let keys = ["workers", "pin_dir", "user", "group", "timeouts", "limits", "admin", "log", "odb", "listeners", "upstreams"]

    /// Reads and validates a configuration file.
    ///
    /// - Parameter path: The file; errors name it exactly as given.
    /// - Throws: `ConfigError` for an unreadable file, invalid YAML or an invalid setting.
    public static func load(path: String) throws(ConfigError) -> RelayConfig {
        try parse(yaml: readFile(path), fileName: path)
    }

    /// Validates a configuration held in memory.
    ///
    /// - Parameters:
    ///   - yaml: The document text.
    ///   - fileName: Used as the file in errors.
    /// - Throws: `ConfigError` for invalid YAML or an invalid setting.
    public static func parse(yaml: String, fileName: String) throws(ConfigError) -> RelayConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(file: fileName, yamlError: error, yaml: yaml)
        }
        guard let root else {
            throw ConfigError(file: fileName, reason: "the file is empty; at least one listener and one upstream are required")
        }
        return try RelayConfig(from: ConfigNode(node: root, key: "configuration", file: fileName))
    }

    private init(from root: ConfigNode) throws(ConfigError) {
        let top = try root.mapping(allowedKeys: Self.keys)
        let upstreams = try Self.upstreams(top)
        let odbSection = try top.section("odb", allowedKeys: VirtualPayloadConfig.keys)
        let odb = try odbSection.map { section throws(ConfigError) in try VirtualPayloadConfig(from: section) }
        let listeners = try Self.listeners(top, upstreams: upstreams, odb: odb)
        if let odbSection, let claim = odb?.claimListen, let clash = listeners.first(where: { Self.conflict($0.listen, claim) }) {
            throw try odbSection.required("claim_listen").error("claim_listen: address \(claim) conflicts with listener \(clash.listen)")
        }
        var admin: AdminConfig?
        if let section = try top.section("admin", allowedKeys: AdminConfig.keys) {
            let config = try AdminConfig(from: section)
            if let address = config.listen, let clash = listeners.first(where: { Self.conflict($0.listen, address) }) {
                throw try section.required("listen").error(
                    "listen: admin address \(address) conflicts with listener \(clash.listen)"
                )
            }
            if let address = config.listen, let claim = odb?.claimListen, Self.conflict(claim, address) {
                throw try section.required("listen").error("listen: admin address \(address) conflicts with odb.claim_listen \(claim)")
            }
            admin = config
        }
        if let group = top["group"], top["user"] == nil {
            throw group.error("group: applies only together with \"user\", which is not set")
        }
        self.init(
            workers: try top.value("workers", default: Self.onlineCPUs) { node throws(ConfigError) in
                try node.int(in: Self.workerRange)
            },
            pinDirectory: try top.value("pin_dir", default: Self.defaultPinDirectory) { node throws(ConfigError) in
                let path = try node.nonEmptyString()
                guard path.hasPrefix("/") else { throw node.error("pin_dir: must be an absolute path, got \"\(path)\"") }
                return path
            },
            user: try top.value("user", default: nil) { node throws(ConfigError) in try node.nonEmptyString() },
            group: try top.value("group", default: nil) { node throws(ConfigError) in try node.nonEmptyString() },
            timeouts: try Timeouts(from: top.section("timeouts", allowedKeys: Timeouts.keys)),
            limits: try Limits(from: top.section("limits", allowedKeys: Limits.keys)),
            admin: admin,
            log: try LogConfig(from: top.section("log", allowedKeys: LogConfig.keys)),
            odb: odb,
            listeners: listeners,
            upstreams: upstreams
        )
    }

    private static func upstreams(_ top: ConfigMapping) throws(ConfigError) -> [String: UpstreamConfig] {
        let node = try top.required("upstreams")
        var upstreams: [String: UpstreamConfig] = [:]
        for entry in try node.mapping(allowedKeys: nil).entries {
            let name = entry.key
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                throw entry.keyNode.error("upstreams: invalid upstream name \"\(name)\"; use letters, digits, '.', '_' and '-'")
            }
            let section = try entry.value.named("upstream \"\(name)\"").mapping(allowedKeys: UpstreamConfig.keys)
            upstreams[name] = try UpstreamConfig(name: name, nameNode: entry.keyNode, section: section)
        }
        guard !upstreams.isEmpty else { throw node.error("upstreams: at least one upstream is required") }
        return upstreams
    }

    private static func listeners(_ top: ConfigMapping, upstreams: [String: UpstreamConfig],
                                  odb: VirtualPayloadConfig?) throws(ConfigError) -> [ListenerConfig] {
        let node = try top.required("listeners")
        let items = try node.list()
        guard !items.isEmpty else { throw node.error("listeners: at least one listener is required") }
        var listeners: [ListenerConfig] = []
        var lines: [Int] = []
        for item in items {
            let section = try item.named("listener").mapping(allowedKeys: ListenerConfig.keys)
            let listener = try ListenerConfig(from: section, upstreams: upstreams, odb: odb)
            if let index = listeners.firstIndex(where: { conflict($0.listen, listener.listen) }) {
                throw try section.required("listen").error(
                    "listen: address \(listener.listen) conflicts with listener \(listeners[index].listen) on line \(lines[index])"
                )
            }
            listeners.append(listener)
            lines.append(item.node.mark?.line ?? 0)
        }
        return listeners
    }

    /// Whether two listening addresses cannot both be bound; `:port` binds every address, so
    /// it collides with anything on the same port.
    static func conflict(_ a: Endpoint, _ b: Endpoint) -> Bool {
        a.port == b.port && (a.host == b.host || a.isWildcard || b.isWildcard)
    }

    private static func readFile(_ path: String) throws(ConfigError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw readError(path) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw readError(path)
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw ConfigError(file: path, reason: "cannot read file: not valid UTF-8")
        }
        return text
    }

    private static func readError(_ path: String) -> ConfigError {
        ConfigError(file: path, reason: "cannot read file: " + String(cString: strerror(errno)))
    }
}
