/// A parsed request line and header section.
public struct RequestHead: Sendable, Hashable, WireHead {
    public let method: String
    /// Set only by parsing and by `ProxyHeaderRewrite`, so it always fits `method`.
    public internal(set) var target: RequestTarget
    public let version: HTTPVersion
    public var headers: HTTPHeaders

    init(method: String, target: RequestTarget, version: HTTPVersion, headers: HTTPHeaders) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }

    /// Parses a complete head from the start of `bytes`; for buffers that grow, keep a `HeadParser`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: HeadLimits = HeadLimits()) -> HeadParseResult<RequestHead> {
        var parser = HeadParser<RequestHead>(limits: limits)
        return parser.parse(bytes)
    }

    /// Parses a complete head from the start of `bytes`; for buffers that grow, keep a `HeadParser`.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, limits: HeadLimits = HeadLimits()) -> HeadParseResult<RequestHead> {
        var parser = HeadParser<RequestHead>(limits: limits)
        return parser.parse(bytes)
    }

    /// Decodes a head found by `HeadBoundaryScanner` (CRLF lines, ends in an empty line).
    @Sendable
    static func decode(_ head: UnsafeRawBufferPointer, limits: HeadLimits) -> Result<RequestHead, HTTPParseError> {
        let lineEnd = FieldLineSyntax.lineEnd(in: head, from: 0)
        let line = UnsafeRawBufferPointer(rebasing: head[..<lineEnd])
        guard let firstSpace = line.firstIndex(of: ByteClass.space),
              let secondSpace = line[(firstSpace + 1)...].firstIndex(of: ByteClass.space)
        else { return .failure(.invalidRequestLine) }
        let methodBytes = UnsafeRawBufferPointer(rebasing: line[..<firstSpace])
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(ByteClass.isToken) else {
            return .failure(methodBytes.isEmpty ? .invalidRequestLine : .invalidMethod)
        }
        let targetBytes = UnsafeRawBufferPointer(rebasing: line[(firstSpace + 1)..<secondSpace])
        guard !targetBytes.isEmpty else { return .failure(.invalidRequestLine) }
        let method = String(decoding: methodBytes, as: UTF8.self)
        let version: HTTPVersion
        switch HTTPVersion.parse(UnsafeRawBufferPointer(rebasing: line[(secondSpace + 1)...]), malformed: .invalidRequestLine) {
        case let .success(parsed): version = parsed
        case let .failure(error): return .failure(error)
        }
        let target: RequestTarget
        switch RequestTarget.parse(targetBytes, method: method) {
        case let .success(parsed): target = parsed
        case let .failure(error): return .failure(error)
        }
        let headers: HTTPHeaders
        switch FieldLineSyntax.parseFields(head, from: lineEnd + 2, limits: limits) {
        case let .success(parsed): headers = parsed
        case let .failure(error): return .failure(error)
        }
        if let error = validateHost(headers, version: version) {
            return .failure(error)
        }
        return .success(RequestHead(method: method, target: target, version: version, headers: headers))
    }

    /// RFC 9112 §3.2: HTTP/1.1 needs exactly one Host; more than one is refused in any version
    /// because components that pick different ones would route to different origins.
    private static func validateHost(_ headers: HTTPHeaders, version: HTTPVersion) -> HTTPParseError? {
        guard let host = headers.index(of: .host) else {
            return version == .http1_1 ? .missingHost : nil
        }
        guard headers.index(of: .host, from: host + 1) == nil else { return .multipleHost }
        let valid = headers.withValue(at: host) {
            HostSyntax.isValid($0, allowEmptyHost: true, requirePort: false)
        }
        return valid ? nil : .invalidHost
    }

    public var serializedCount: Int {
        method.utf8.count + target.description.utf8.count + HTTPVersion.serializedCount + 4 + headers.serializedCount
    }

    /// Writes the request line, the fields with their original name case and the empty line.
    public func write(to writer: inout HeadWriter) {
        writer.write(method)
        writer.write(ByteClass.space)
        writer.write(target.description)
        writer.write(ByteClass.space)
        version.write(to: &writer)
        writer.writeLineEnd()
        headers.write(to: &writer)
    }
}

/// A request's method, target and version (RFC 9112 §3): what of a request is still needed
/// once its head was forwarded, to frame the answer (HEAD, CONNECT) and to log the exchange.
public struct RequestLine: Sendable {
    public let method: String
    public let target: RequestTarget
    public let version: HTTPVersion

    public init(_ head: borrowing RequestHead) {
        method = head.method
        target = head.target
        version = head.version
    }
}
