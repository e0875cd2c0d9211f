import Foundation

/// A chain of nginx `proxy_pass` hops, one nginx instance per hop (each with the workers every
/// intermediate gets, and each in its own namespace when tiers are separated).
///
/// Buffering stays on (nginx's default) but never spills to disk, with 64 KiB buffers: how one
/// tunes nginx for large responses. Upstream connections are kept alive, as the relay does.
enum NginxProxyChain {
    static func start(ports: [Int], origin: HostPort, settings: ChainSettings) throws(BenchError) -> IntermediateChain {
        try IntermediateChain.startHops(ports: ports, settings: settings) { index throws(BenchError) in
            let upstream = IntermediateChain.upstream(of: index, ports: ports, origin: origin, settings: settings)
            let server = """
                upstream next { server \(upstream); keepalive 256; }
                server {
                    listen \(settings.listenHost):\(ports[index]) reuseport;
                    location / {
                        proxy_pass http://next;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_buffering on;
                        proxy_buffer_size 64k;
                        proxy_buffers 16 64k;
                        proxy_busy_buffers_size 128k;
                        proxy_max_temp_file_size 0;
                    }
                }
                """
            return try NginxInstance.start(
                name: "nginx proxy \(index + 1)", directory: settings.scratchDirectory + "/nginx-proxy-\(ports[index])",
                workers: settings.workers, http: server, tier: .intermediate(index + 1), settings: settings)
        }
    }
}

/// An nginx process in the foreground with its own prefix directory.
enum NginxInstance {
    static let executable = "/usr/sbin/nginx"

    /// Starts nginx with `http` as the body of its `http {}` block.
    static func start(name: String, directory: String, workers: Int, http: String, tier: Tier,
                      settings: ChainSettings) throws(BenchError) -> ManagedProcess {
        try makeDirectory(directory)
        let config = """
            worker_processes \(workers);
            daemon off;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log warn;
            events { worker_connections 8192; }
            http {
                access_log off;
                keepalive_requests 1000000;
                keepalive_timeout 120s;
                client_body_temp_path \(directory)/client_temp;
                proxy_temp_path \(directory)/proxy_temp;
                fastcgi_temp_path \(directory)/fastcgi_temp;
                uwsgi_temp_path \(directory)/uwsgi_temp;
                scgi_temp_path \(directory)/scgi_temp;
            \(http)
            }
            """
        try writeText(config, to: directory + "/nginx.conf")
        return try settings.launch(
            tier, name: name, executable: executable,
            arguments: ["-c", directory + "/nginx.conf", "-p", directory, "-e", directory + "/error.log"],
            logPath: directory + "/stderr.log")
    }
}

/// Creates a directory and its parents.
func makeDirectory(_ path: String) throws(BenchError) {
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        throw .processFailed(name: "bench", detail: "could not create \(path): \(error)")
    }
}
