//! A TCP proxy a test controls, between rmig and PostgreSQL: it forwards both ways until
//! frozen, then forwards nothing more while keeping every socket open, as a network that
//! stops forwarding (or a middlebox that hangs) looks to both ends: their kernels still
//! acknowledge what reaches them, and nobody ever answers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// How often a pump waiting for bytes or frozen looks at the switches.
const TICK: Duration = Duration::from_millis(20);

pub struct Proxy {
    pub port: u16,
    frozen: Arc<AtomicBool>,
    stopped: Arc<AtomicBool>,
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port) and forwards each connection to the server of
    /// `url` (a `postgres://user@host:port/db` URL).
    pub fn start(url: &str) -> Proxy {
        let (_, rest) = url.split_once("://").unwrap();
        let authority = rest.split('/').next().unwrap();
        let address = authority.rsplit_once('@').map_or(authority, |(_, at)| at);
        let upstream: SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(address)
            .unwrap()
            .next()
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen = Arc::new(AtomicBool::new(false));
        let stopped = Arc::new(AtomicBool::new(false));
        let (frozen_, stopped_) = (frozen.clone(), stopped.clone());
        thread::spawn(move || {
            while !stopped_.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(upstream) else {
                            continue;
                        };
                        for (from, to) in [
                            (client.try_clone().unwrap(), server.try_clone().unwrap()),
                            (server, client),
                        ] {
                            let (frozen, stopped) = (frozen_.clone(), stopped_.clone());
                            thread::spawn(move || pump(from, to, &frozen, &stopped));
                        }
                    }
                    Err(_) => thread::sleep(TICK),
                }
            }
        });
        Proxy {
            port,
            frozen,
            stopped,
        }
    }

    /// From now on nothing more is forwarded either way; the sockets stay open.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    /// `url` (a `postgres://user@host:port/db` URL) pointed at the proxy.
    pub fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let (authority, path) = rest.split_once('/').unwrap();
        let user = authority
            .rsplit_once('@')
            .map(|(user, _)| format!("{user}@"));
        format!(
            "{scheme}://{}127.0.0.1:{}/{path}",
            user.unwrap_or_default(),
            self.port
        )
    }
}

impl Drop for Proxy {
    /// The pumps end and close their sockets: the network is back, and both ends see the
    /// connections closed.
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, frozen: &AtomicBool, stopped: &AtomicBool) {
    from.set_read_timeout(Some(TICK)).unwrap();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        if stopped.load(Ordering::SeqCst) {
            break;
        }
        if frozen.load(Ordering::SeqCst) {
            thread::sleep(TICK);
            continue;
        }
        let read = match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => break,
        };
        // Bytes read just as the switch flipped are held, not forwarded.
        while frozen.load(Ordering::SeqCst) && !stopped.load(Ordering::SeqCst) {
            thread::sleep(TICK);
        }
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// A listener that completes TCP handshakes (the kernel does, from its backlog) and never
/// says a word: a server that hangs at start-up, or a port something else holds.
pub struct SilentServer {
    pub port: u16,
    _listener: TcpListener,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        SilentServer {
            port: listener.local_addr().unwrap().port(),
            _listener: listener,
        }
    }
}
