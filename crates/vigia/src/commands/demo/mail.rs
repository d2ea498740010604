//! The demo's mail catcher: a loopback SMTP listener that accepts every
//! message the nodes send to duty officers and writes it to a file, so a
//! new user can read the alerts, escalations and acknowledgement links.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Largest message kept; a demo node's notices are a few kilobytes.
const MAX_MESSAGE: usize = 1024 * 1024;

pub(super) async fn run(listener: TcpListener, dir: PathBuf) {
    let counter = Arc::new(AtomicU64::new(0));
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            continue;
        };
        let (dir, counter) = (dir.clone(), counter.clone());
        tokio::spawn(async move {
            if let Err(e) = session(conn, &dir, &counter).await {
                tracing::debug!(error = %e, "mail catcher session ended");
            }
        });
    }
}

async fn session(
    conn: TcpStream,
    dir: &std::path::Path,
    counter: &AtomicU64,
) -> std::io::Result<()> {
    let (read, mut write) = conn.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 vigia-demo mail catcher\r\n").await?;
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250-vigia-demo\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("MAIL FROM") {
            to.clear();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO") {
            to.push(
                line.get(8..)
                    .unwrap_or("")
                    .trim()
                    .trim_matches(['<', '>'])
                    .to_owned(),
            );
            b"250 ok\r\n"
        } else if upper.starts_with("DATA") {
            write.write_all(b"354 end with .\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                if data.len() < MAX_MESSAGE {
                    data.push_str(&line);
                }
            }
            let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
            let name = format!(
                "{n:05}-{}.eml",
                to.first()
                    .map(String::as_str)
                    .unwrap_or("unknown")
                    .replace(['/', '\\'], "_")
            );
            tokio::fs::write(dir.join(name), data).await?;
            b"250 queued\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"250 ok\r\n"
        };
        write.write_all(reply).await?;
    }
}
