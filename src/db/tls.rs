//! TLS for PostgreSQL sessions: one OpenSSL context per `sslmode`, and the adapter that lets
//! tokio-postgres speak its protocol over an OpenSSL stream: trusted roots from a file
//! (`sslrootcert`, a private CA) or the system, and a client certificate (`sslcert`,
//! `sslkey`, `sslpassword`) as libpq takes them.
//!
//! Why not `native-tls` or `postgres-openssl`: both build their context with
//! `SslConnector::builder`, which reads the system's whole CA bundle (144 certificates on a
//! Debian machine, about 150 ms of CPU on a 2-core one) for every connection, also for
//! `sslmode=prefer` and `require`, which verify nothing. Here roots are read only for
//! `verify-ca` and `verify-full`, as libpq reads its roots only when it verifies.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::ssl::{Ssl, SslContext, SslContextBuilder, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::X509VerifyResult;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

use super::postgres_url::{ClientCertificate, TlsMode, TlsSettings, TrustedRoots};

type BoxError = Box<dyn StdError + Send + Sync>;

/// Makes one TLS handshake per connection from a context built once for the `sslmode`.
pub struct MakeOpensslConnect {
    context: SslContext,
    verify_host: bool,
}

impl MakeOpensslConnect {
    /// The context for `settings` (not [`TlsMode::Disable`], which needs none): TLS 1.2 or
    /// later (PostgreSQL's own floor); for `verify-ca` and `verify-full` a chain verified
    /// against the trusted roots, the server's host name (or address) checked for
    /// `verify-full`; the client certificate and its key when there is one.
    pub fn new(settings: &TlsSettings) -> Result<MakeOpensslConnect, TlsSetupError> {
        let mut builder = SslContextBuilder::new(SslMethod::tls_client())?;
        builder.set_min_proto_version(Some(SslVersion::TLS1_2))?;
        if matches!(settings.mode, TlsMode::VerifyCa | TlsMode::VerifyFull) {
            match &settings.roots {
                TrustedRoots::System => builder.set_default_verify_paths()?,
                TrustedRoots::File(path) => {
                    builder
                        .set_ca_file(path)
                        .map_err(|source| TlsSetupError::File {
                            what: "root certificate",
                            path: path.clone(),
                            source,
                        })?
                }
            }
            builder.set_verify(SslVerifyMode::PEER);
        } else {
            builder.set_verify(SslVerifyMode::NONE);
        }
        if let Some(client) = &settings.client {
            use_client_certificate(&mut builder, client)?;
        }
        Ok(MakeOpensslConnect {
            context: builder.build(),
            verify_host: settings.mode == TlsMode::VerifyFull,
        })
    }
}

/// Presents `client`'s certificate, signed with its key (decrypted with `sslpassword`).
fn use_client_certificate(
    builder: &mut SslContextBuilder,
    client: &ClientCertificate,
) -> Result<(), TlsSetupError> {
    builder
        .set_certificate_chain_file(&client.certificate)
        .map_err(|source| TlsSetupError::File {
            what: "client certificate",
            path: client.certificate.clone(),
            source,
        })?;
    let pem = std::fs::read(&client.key).map_err(|source| TlsSetupError::Read {
        path: client.key.clone(),
        source,
    })?;
    let key = match &client.key_password {
        Some(password) => PKey::private_key_from_pem_passphrase(&pem, password.as_bytes()),
        // A callback that gives no passphrase: OpenSSL would otherwise ask on the terminal.
        None => PKey::private_key_from_pem_callback(&pem, |_| Ok(0)),
    }
    .map_err(|_| TlsSetupError::Key {
        path: client.key.clone(),
        has_password: client.key_password.is_some(),
    })?;
    builder.set_private_key(&key)?;
    builder
        .check_private_key()
        .map_err(|_| TlsSetupError::KeyMismatch {
            certificate: client.certificate.clone(),
            key: client.key.clone(),
        })
}

/// Why no TLS context could be made for a connection.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot use the {what} {}: {source}", path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        source: ErrorStack,
    },
    #[error("cannot read the private key {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}", key_message(path, *has_password))]
    Key { path: PathBuf, has_password: bool },
    #[error("the private key {} does not belong to the certificate {}", key.display(), certificate.display())]
    KeyMismatch { certificate: PathBuf, key: PathBuf },
    #[error("TLS set-up failed: {0}")]
    OpenSsl(#[from] ErrorStack),
}

fn key_message(path: &std::path::Path, has_password: bool) -> String {
    if has_password {
        format!(
            "the private key {} could not be read with the given sslpassword: the passphrase is wrong or the file is not a PEM key",
            path.display()
        )
    } else {
        format!(
            "the private key {} could not be read: it is not a PEM key, or it is encrypted and needs its passphrase as sslpassword",
            path.display()
        )
    }
}

impl<S> MakeTlsConnect<S> for MakeOpensslConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = OpensslStream<S>;
    type TlsConnect = OpensslConnect;
    type Error = ErrorStack;

    fn make_tls_connect(&mut self, host: &str) -> Result<OpensslConnect, ErrorStack> {
        let mut ssl = Ssl::new(&self.context)?;
        let address = host.parse::<IpAddr>().ok();
        if self.verify_host {
            match address {
                Some(address) => ssl.param_mut().set_ip(address)?,
                None => ssl.param_mut().set_host(host)?,
            }
        }
        // Server Name Indication names hosts, never addresses (RFC 6066); a socket
        // connection, whose host the driver gives as "", has none.
        if address.is_none() && !host.is_empty() {
            ssl.set_hostname(host)?;
        }
        Ok(OpensslConnect { ssl })
    }
}

/// One connection's handshake, ready to run over the socket tokio-postgres opened.
pub struct OpensslConnect {
    ssl: Ssl,
}

impl<S> TlsConnect<S> for OpensslConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = OpensslStream<S>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<OpensslStream<S>, BoxError>> + Send>>;

    fn connect(self, socket: S) -> Self::Future {
        Box::pin(async move {
            let mut stream = tokio_openssl::SslStream::new(self.ssl, socket)?;
            if let Err(error) = Pin::new(&mut stream).connect().await {
                let verify = stream.ssl().verify_result();
                return Err(if verify != X509VerifyResult::OK {
                    format!("the server's certificate was refused: {verify}").into()
                } else {
                    format!("the TLS handshake failed: {error}").into()
                });
            }
            Ok(OpensslStream(stream))
        })
    }
}

/// A TLS session tokio-postgres reads and writes through.
pub struct OpensslStream<S>(tokio_openssl::SslStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for OpensslStream<S> {
    /// `tls-server-end-point` (RFC 5929), so SCRAM can bind its authentication to this TLS
    /// session (`channel_binding=prefer|require`): a hash of the server's certificate made
    /// with its own signature hash, SHA-256 in place of MD5 and SHA-1.
    fn channel_binding(&self) -> ChannelBinding {
        let Some(certificate) = self.0.ssl().peer_certificate() else {
            return ChannelBinding::none();
        };
        let digest = certificate
            .signature_algorithm()
            .object()
            .nid()
            .signature_algorithms()
            .and_then(|algorithms| match algorithms.digest {
                Nid::MD5 | Nid::SHA1 => Some(MessageDigest::sha256()),
                other => MessageDigest::from_nid(other),
            });
        match digest.and_then(|digest| certificate.digest(digest).ok()) {
            Some(hash) => ChannelBinding::tls_server_end_point(hash.to_vec()),
            None => ChannelBinding::none(),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for OpensslStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for OpensslStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
