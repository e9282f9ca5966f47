import NIOSSL

/// The server's TLS settings from the PEM files of `--tls-cert` and `--tls-key`.
public enum TLSFiles {
    /// A server configuration for HTTP/2 and HTTP/1.1 over TLS 1.2 or 1.3 (ALPN offers `h2`,
    /// then `http/1.1`; a client that asks for neither gets HTTP/1.1), checked by building a TLS
    /// context once, so that a bad file stops the server at start, with the flag named,
    /// rather than failing every handshake.
    public static func serverConfiguration(certificatePath: String, keyPath: String) throws(TLSFilesError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSFilesError("--tls-cert \(certificatePath) is not a readable PEM certificate chain")
        }
        guard !chain.isEmpty else { throw TLSFilesError("--tls-cert \(certificatePath) holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw TLSFilesError("--tls-key \(keyPath) is not a readable PEM private key (encrypted keys are not supported)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2", "http/1.1"]
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSFilesError("--tls-key \(keyPath) does not match the certificate of --tls-cert \(certificatePath)")
        }
        return configuration
    }
}

/// Why the TLS files could not be used; the message names the flag and the file.
public struct TLSFilesError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
