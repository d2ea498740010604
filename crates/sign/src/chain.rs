//! A SHA-256 hash chain: each link commits to the one before it, so
//! altering or removing any entry breaks every later link.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first link.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of a link: SHA-256 over the previous hash (hex) and the
/// canonical bytes of the entry's body, separated by a newline.
pub fn link_hash(prev_hash: &str, canonical_body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical_body);
    hex::encode(h.finalize())
}

/// One stored link as read back for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    pub seq: i64,
    /// The canonical bytes of the entry as recomputed from its stored fields.
    pub canonical_body: Vec<u8>,
    pub prev_hash: String,
    pub hash: String,
}

/// Where and why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq}: its content does not match its hash (altered)")]
    Altered { seq: i64 },
    #[error("entry {seq}: does not link to the entry before it (an entry was removed or altered)")]
    Unlinked { seq: i64 },
    #[error("entry {seq}: expected sequence number {expected} (entries removed)")]
    Gap { seq: i64, expected: i64 },
    #[error("the log ends at entry {last} but its head records entry {head} (entries removed from the end)")]
    Truncated { last: i64, head: i64 },
}

/// Checks links in order, starting at sequence 1, and the recorded head.
/// Returns the number of links checked, or the first break.
pub fn verify_chain(
    links: impl IntoIterator<Item = ChainLink>,
    head: Option<(i64, &str)>,
) -> Result<u64, ChainBreak> {
    let mut expected_seq = 1;
    let mut prev = GENESIS_HASH.to_owned();
    let mut count = 0;
    for link in links {
        if link.seq != expected_seq {
            return Err(ChainBreak::Gap {
                seq: link.seq,
                expected: expected_seq,
            });
        }
        if link.prev_hash != prev {
            return Err(ChainBreak::Unlinked { seq: link.seq });
        }
        if link_hash(&link.prev_hash, &link.canonical_body) != link.hash {
            return Err(ChainBreak::Altered { seq: link.seq });
        }
        prev = link.hash;
        expected_seq += 1;
        count += 1;
    }
    if let Some((head_seq, head_hash)) = head {
        let last = expected_seq - 1;
        if head_seq != last || (last > 0 && head_hash != prev) {
            return Err(ChainBreak::Truncated {
                last,
                head: head_seq,
            });
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<ChainLink> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let body = format!("{{\"seq\":{seq}}}").into_bytes();
                let hash = link_hash(&prev, &body);
                let link = ChainLink {
                    seq,
                    canonical_body: body,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                link
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let links = chain(5);
        let head = (5, links[4].hash.clone());
        assert_eq!(verify_chain(links, Some((head.0, &head.1))), Ok(5));
    }

    #[test]
    fn altering_an_entry_is_found_at_that_entry() {
        let mut links = chain(5);
        links[2].canonical_body = b"{\"seq\":99}".to_vec();
        assert_eq!(
            verify_chain(links, None),
            Err(ChainBreak::Altered { seq: 3 })
        );
    }

    #[test]
    fn removing_an_entry_is_found() {
        let mut links = chain(5);
        links.remove(1);
        assert_eq!(
            verify_chain(links, None),
            Err(ChainBreak::Gap {
                seq: 3,
                expected: 2
            })
        );
    }

    #[test]
    fn removing_the_tail_is_found_by_the_head() {
        let links = chain(5);
        let head_hash = links[4].hash.clone();
        let kept: Vec<_> = links.into_iter().take(3).collect();
        assert_eq!(
            verify_chain(kept, Some((5, &head_hash))),
            Err(ChainBreak::Truncated { last: 3, head: 5 })
        );
    }
}
