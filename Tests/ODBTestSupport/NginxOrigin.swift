import Foundation
import Glibc

/// A real nginx (Debian's package) serving generated files and accepting PUT uploads (DAV).
public final class NginxOrigin {
    public let port: Int
    public let directory: String
    public var webRoot: String { directory + "/www" }
    private let process: Process

    /// Serves `TestContent` files of `fileSizes` under /files/SIZE.bin.
    public init(fileSizes: [Int], extraServerConfig: String = "") throws {
        port = freePort()
        directory = NSTemporaryDirectory() + "odb-nginx-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try TestContent.ensureFiles(fileSizes)
        try FileManager.default.createDirectory(atPath: directory + "/www/upload", withIntermediateDirectories: true)
        let config = """
            user root;
            worker_processes 1;
            daemon off;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                sendfile on;
                tcp_nopush on;
                keepalive_requests 1000000;
                keepalive_timeout 120s;
                client_max_body_size 0;
                client_body_temp_path \(directory)/client_temp;
                proxy_temp_path \(directory)/proxy_temp;
                fastcgi_temp_path \(directory)/fastcgi_temp;
                uwsgi_temp_path \(directory)/uwsgi_temp;
                scgi_temp_path \(directory)/scgi_temp;
                default_type application/octet-stream;
                server {
                    listen 127.0.0.1:\(port);
                    root \(directory)/www;
                    location /files/ {
                        alias \(TestContent.directory)/;
                    }
                    location /upload/ {
                        dav_methods PUT DELETE;
                        create_full_put_path on;
                    }
                    \(extraServerConfig)
                }
            }
            """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-c", directory + "/nginx.conf", "-p", directory]
        try process.run()
        guard waitForPort(port) else {
            process.terminate()
            let log = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
            throw FixtureFailure("nginx did not start: \(log)")
        }
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
