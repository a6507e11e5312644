//! The SSRF guard: which IP addresses are "private" (loopback, RFC 1918, link-local,
//! CGNAT, unique-local, metadata, reserved), and a DNS resolver for reqwest that resolves
//! names (or applies the configured overrides) and refuses such addresses at connect time.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// True when `ip` is an address the crawler must not reach unless private networks are
/// allowed: loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud
/// metadata address, fe80::/10), unspecified, CGNAT (100.64/10), multicast, reserved and
/// benchmark ranges, and IPv6 forms that embed such an IPv4 address (mapped, compatible,
/// NAT64, 6to4).
pub fn is_private_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    o[0] == 0                                        // "this network", incl. 0.0.0.0
        || o[0] == 10                                // RFC 1918
        || (o[0] == 100 && (o[1] & 0xC0) == 64)      // CGNAT 100.64/10
        || o[0] == 127                               // loopback
        || (o[0] == 169 && o[1] == 254)              // link-local, metadata
        || (o[0] == 172 && (o[1] & 0xF0) == 16)      // RFC 1918
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)   // IETF protocol assignments
        || (o[0] == 192 && o[1] == 168)              // RFC 1918
        || (o[0] == 198 && (o[1] & 0xFE) == 18)      // benchmarking 198.18/15
        || o[0] >= 224 // multicast, reserved, broadcast
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    if ip.is_loopback() || ip.is_unspecified() {
        return true;
    }
    let s = ip.segments();
    if (s[0] & 0xFE00) == 0xFC00      // unique local fc00::/7
        || (s[0] & 0xFFC0) == 0xFE80  // link-local fe80::/10
        || (s[0] & 0xFFC0) == 0xFEC0  // deprecated site-local fec0::/10
        || (s[0] & 0xFF00) == 0xFF00
    // multicast
    {
        return true;
    }
    // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d
    if s[..5].iter().all(|&x| x == 0) && (s[5] == 0xFFFF || s[5] == 0) {
        return is_private_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    // NAT64 64:ff9b::/96
    if s[0] == 0x64 && s[1] == 0xFF9B && s[2..6].iter().all(|&x| x == 0) {
        return is_private_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    // 6to4 2002:a.b.c.d::/48
    if s[0] == 0x2002 {
        return is_private_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    false
}

/// The error the resolver returns when every address of a name is private; found again
/// in reqwest's error chain to produce `FetchError::Blocked`.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {addr}, a private/loopback/link-local address")]
pub(crate) struct BlockedAddress {
    pub(crate) host: String,
    pub(crate) addr: IpAddr,
}

/// A reqwest resolver: the configured overrides first, else the system resolver; with
/// private networks disallowed, private addresses are dropped and a name with only
/// private addresses fails with [`BlockedAddress`].
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    overrides: Arc<HashMap<String, Vec<SocketAddr>>>,
    allow_private: bool,
}

impl GuardedResolver {
    pub(crate) fn new(overrides: &[(String, SocketAddr)], allow_private: bool) -> Self {
        let mut map: HashMap<String, Vec<SocketAddr>> = HashMap::new();
        for (name, addr) in overrides {
            map.entry(name.to_ascii_lowercase())
                .or_default()
                .push(*addr);
        }
        GuardedResolver {
            overrides: Arc::new(map),
            allow_private,
        }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        let overridden = self.overrides.get(&host).cloned();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match overridden {
                Some(addrs) => addrs,
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            if allow_private {
                return Ok(Box::new(addrs.into_iter()) as Addrs);
            }
            let first_private = addrs.iter().find(|a| is_private_address(a.ip())).copied();
            let public: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| !is_private_address(a.ip()))
                .collect();
            match (public.is_empty(), first_private) {
                (true, Some(addr)) => Err(Box::new(BlockedAddress {
                    host,
                    addr: addr.ip(),
                })
                    as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(public.into_iter()) as Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(s: &str) -> bool {
        is_private_address(s.parse().unwrap())
    }

    #[test]
    fn classifies_addresses() {
        for p in [
            "127.0.0.1",
            "127.8.9.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "ff02::1",
        ] {
            assert!(private(p), "{p} should be private");
        }
        for p in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "172.15.255.255",
            "100.128.0.1",
            "100.63.255.255",
            "192.169.0.1",
            "169.255.0.1",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "2a00:1450:4007::1",
        ] {
            assert!(!private(p), "{p} should be public");
        }
    }
}
