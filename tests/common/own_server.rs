//! A PostgreSQL server of a test's own, for what the shared server's configuration is not
//! ours to change: TLS with certificates from a CA the test made, client certificates and
//! password authentication. `initdb` and `pg_ctl` make and start it on a free port in a
//! temporary folder; dropping it stops it and removes the folder.
//!
//! Its `pg_hba.conf`: `certuser` proves itself with a client certificate over TLS; `app`
//! (password `app-secret`) with SCRAM over TCP; `postgres` with nothing, through the socket
//! in the folder only, for setting the server up.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::symm::Cipher;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509};
use tempfile::TempDir;

/// The password of the `app` role.
pub const APP_PASSWORD: &str = "app-secret";
/// The passphrase of the encrypted copy of `certuser`'s key.
pub const KEY_PASSPHRASE: &str = "key-passphrase";

pub struct OwnServer {
    folder: TempDir,
    bin: PathBuf,
    pub port: u16,
}

/// A key and the certificate issued for it.
pub struct Issued {
    pub key: PKey<Private>,
    pub certificate: X509,
}

impl OwnServer {
    /// Makes, configures and starts the server, with the roles `app` and `certuser` and the
    /// database `appdb`; panics with what to install when PostgreSQL's programs are missing.
    pub fn start() -> OwnServer {
        let bin = server_programs();
        let folder = tempfile::tempdir().unwrap();
        let port = free_port();
        let server = OwnServer { folder, bin, port };
        server.write_certificates();
        let data = server.data();
        std::fs::create_dir(&data).unwrap();
        server.hand_to_server_user(server.path());
        server.run_as_server_user(
            "initdb",
            &["--no-sync", "-A", "trust", "-U", "postgres", "-D"],
            &data,
        );
        let certificates = server.path();
        for (name, from) in [
            ("server.crt", "server.crt"),
            ("server.key", "server.key"),
            ("ca.crt", "ca.crt"),
        ] {
            std::fs::copy(certificates.join(from), data.join(name)).unwrap();
        }
        set_mode(&data.join("server.key"), 0o600);
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all postgres trust\n\
             hostssl all certuser 127.0.0.1/32 cert\n\
             host all app 127.0.0.1/32 scram-sha-256\n",
        )
        .unwrap();
        let socket_folder = server.path().display().to_string();
        let settings = format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{socket_folder}'\n\
             ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nssl_ca_file = 'ca.crt'\n\
             fsync = off\nmax_connections = 20\nshared_buffers = 16MB\npassword_encryption = 'scram-sha-256'\n"
        );
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap();
        text.push_str(&settings);
        std::fs::write(&conf, text).unwrap();
        server.hand_to_server_user(&data);
        let log = server.path().join("server.log");
        let log_arg = log.display().to_string();
        server.run_as_server_user(
            "pg_ctl",
            &["-w", "-t", "60", "-l", &log_arg, "start", "-D"],
            &data,
        );
        let mut admin = server.admin();
        for statement in [
            format!("CREATE ROLE app LOGIN PASSWORD '{APP_PASSWORD}'"),
            "CREATE ROLE certuser LOGIN".to_string(),
            "CREATE DATABASE appdb OWNER app".to_string(),
            "GRANT ALL ON DATABASE appdb TO certuser".to_string(),
        ] {
            admin.batch_execute(&statement).unwrap();
        }
        server
    }

    /// The folder holding the data folder, the socket and the certificate files.
    pub fn path(&self) -> &Path {
        self.folder.path()
    }

    fn data(&self) -> PathBuf {
        self.path().join("data")
    }

    /// A file of the folder: `ca.crt` (the test's CA), `other-ca.crt` (a CA that issued
    /// nothing here), `client.crt` / `client.key` (`certuser`'s, the key private),
    /// `client-encrypted.key` (the same key encrypted with [`KEY_PASSPHRASE`]).
    pub fn file(&self, name: &str) -> String {
        self.path().join(name).display().to_string()
    }

    /// A session as `postgres` through the server's socket.
    pub fn admin(&self) -> postgres::Client {
        postgres::Config::new()
            .host_path(self.path())
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| {
                panic!(
                    "the test's own server does not answer: {e}; see {}",
                    self.file("server.log")
                )
            })
    }

    /// The CA, a server certificate for `localhost` and 127.0.0.1, a client certificate for
    /// `certuser`, and a second CA the server's certificate does not come from.
    fn write_certificates(&self) {
        let ca = issue("rmig test CA", None, Usage::Authority);
        let server = issue("localhost", Some(&ca), Usage::Server);
        let client = issue("certuser", Some(&ca), Usage::Client);
        let other_ca = issue("another CA", None, Usage::Authority);
        let write = |name: &str, bytes: Vec<u8>| {
            let path = self.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            set_mode(&path, 0o600);
        };
        write("ca.crt", ca.certificate.to_pem().unwrap());
        write("other-ca.crt", other_ca.certificate.to_pem().unwrap());
        write("server.crt", server.certificate.to_pem().unwrap());
        write("server.key", server.key.private_key_to_pem_pkcs8().unwrap());
        write("client.crt", client.certificate.to_pem().unwrap());
        write("client.key", client.key.private_key_to_pem_pkcs8().unwrap());
        write(
            "client-encrypted.key",
            client
                .key
                .private_key_to_pem_pkcs8_passphrase(
                    Cipher::aes_256_cbc(),
                    KEY_PASSPHRASE.as_bytes(),
                )
                .unwrap(),
        );
    }

    /// PostgreSQL refuses to run as root: as root, the folder goes to the `postgres` user,
    /// who runs the server.
    fn hand_to_server_user(&self, folder: &Path) {
        if !running_as_root() {
            return;
        }
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(folder)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "chown of {} to postgres failed",
            folder.display()
        );
        // The temporary folder is root's and private; the server user must reach into it.
        set_mode(self.path(), 0o755);
    }

    /// `program` of the server's folder, run as the user who runs the server.
    fn as_server_user(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        }
    }

    fn run_as_server_user(&self, program: &str, args: &[&str], data: &Path) {
        let output = self
            .as_server_user(program)
            .args(args)
            .arg(data)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self
            .as_server_user("pg_ctl")
            .args(["-m", "immediate", "-w", "stop", "-D"])
            .arg(self.data())
            .output();
    }
}

pub fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The folder of `initdb` and `pg_ctl`: `RMIG_TEST_PG_BINDIR`, else Debian's
/// `/usr/lib/postgresql/<newest>/bin`, else what `pg_config --bindir` says.
fn server_programs() -> PathBuf {
    if let Ok(folder) = std::env::var("RMIG_TEST_PG_BINDIR") {
        return PathBuf::from(folder);
    }
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .max();
    let from_pg_config = || {
        let output = Command::new("pg_config").arg("--bindir").output().ok()?;
        let folder = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
        folder.join("initdb").is_file().then_some(folder)
    };
    debian.or_else(from_pg_config).unwrap_or_else(|| {
        panic!(
            "these tests run a PostgreSQL server of their own and need its programs (initdb, pg_ctl): \
             install the server package (on Debian: `apt-get install postgresql`) or set \
             RMIG_TEST_PG_BINDIR to the folder holding them"
        )
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[derive(Clone, Copy, PartialEq)]
pub enum Usage {
    Authority,
    Server,
    Client,
}

/// A P-256 key and a certificate for `name`, valid for a day, signed by `issuer` (else by
/// itself).
pub fn issue(name: &str, issuer: Option<&Issued>, usage: Usage) -> Issued {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut subject = X509NameBuilder::new().unwrap();
    subject.append_entry_by_text("CN", name).unwrap();
    let subject = subject.build();
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    builder
        .set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    builder.set_subject_name(&subject).unwrap();
    builder
        .set_issuer_name(issuer.map_or(&subject, |i| i.certificate.subject_name()))
        .unwrap();
    builder.set_pubkey(&key).unwrap();
    builder
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    match usage {
        Usage::Authority => {
            builder
                .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            builder
                .append_extension(
                    KeyUsage::new()
                        .critical()
                        .key_cert_sign()
                        .crl_sign()
                        .build()
                        .unwrap(),
                )
                .unwrap();
        }
        Usage::Server => {
            let names = SubjectAlternativeName::new()
                .dns("localhost")
                .ip("127.0.0.1")
                .build(&builder.x509v3_context(issuer.map(|i| i.certificate.as_ref()), None))
                .unwrap();
            builder.append_extension(names).unwrap();
        }
        Usage::Client => {}
    }
    let signer = issuer.map_or(&key, |i| &i.key);
    builder.sign(signer, MessageDigest::sha256()).unwrap();
    Issued {
        key,
        certificate: builder.build(),
    }
}
