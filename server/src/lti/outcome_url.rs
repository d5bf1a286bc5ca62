//! Is an outcome service URL safe to POST grades to? The URL comes from a launch, so an
//! LMS (or anyone holding its key) chooses where Vouch sends requests: without checks that
//! is a server-side request forgery into our own network. Checked twice: its form at
//! launch, and again at send time after resolving the name, with the connection pinned to
//! the checked address so a DNS answer cannot change between check and use.

use crate::config::lti::LtiConfig;
use std::net::{IpAddr, SocketAddr};

/// Why an outcome URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not an absolute http(s) URL with a host (or it carries credentials).
    #[error("the outcome service URL is not an http(s) URL")]
    NotHttp,
    /// The host is not among the allowed ones.
    #[error("the outcome service host {0} is not allowed for this consumer")]
    HostNotAllowed(String),
    /// The host is (or resolves to) a loopback, private or otherwise internal address.
    #[error("the outcome service host {0} is an internal address")]
    Private(String),
    /// The name does not resolve.
    #[error("the outcome service host {0} does not resolve")]
    Unresolved(String),
}

/// A checked URL: where to connect, for pinning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The parsed URL.
    pub url: url::Url,
    /// The host name as in the URL.
    pub host: String,
    /// The checked address to connect to.
    pub addr: SocketAddr,
}

/// Whether `ip` is reachable only inside a network (loopback, private, link-local, …).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                // IETF protocol assignments (192.0.0.0/24), e.g. DS-Lite's 192.0.0.1.
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            // IPv6 forms that carry an IPv4 address a gateway or the host's stack may reach:
            // the address is as internal as the IPv4 one inside it.
            if let Some(v4) = embedded_ipv4(v6) {
                return is_internal(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                // NAT64 for local use (64:ff9b:1::/48) translates into private networks.
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
        }
    }
}

/// The IPv4 address inside an IPv6 one that embeds it: NAT64's well-known prefix
/// (64:ff9b::/96), 6to4 (2002::/16, the address in bits 16..48) and the deprecated
/// IPv4-compatible form (::a.b.c.d, not :: or ::1).
fn embedded_ipv4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let s = v6.segments();
    let from = |hi: u16, lo: u16| std::net::Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(from(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(from(s[1], s[2]));
    }
    if s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
        return Some(from(s[6], s[7]));
    }
    None
}

/// Checks the form of `raw` against the allowed hosts (`consumer_hosts`, else the global
/// list; none configured means any public host) and, for IP literals and `localhost`,
/// the internal-address rule.
pub fn check_form(raw: &str, cfg: &LtiConfig, consumer_hosts: &[String]) -> Result<url::Url, UrlError> {
    let url = url::Url::parse(raw).map_err(|_| UrlError::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::NotHttp);
    }
    let host = url.host_str().ok_or(UrlError::NotHttp)?.to_ascii_lowercase();
    let allowed = if consumer_hosts.is_empty() { &cfg.allowed_outcome_hosts.0 } else { consumer_hosts };
    if !allowed.is_empty() && !allowed.iter().any(|h| h.eq_ignore_ascii_case(&host)) {
        return Err(UrlError::HostNotAllowed(host));
    }
    if !cfg.allow_private_outcome_urls {
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if literal.is_some_and(is_internal) || host == "localhost" || host.ends_with(".localhost") {
            return Err(UrlError::Private(host));
        }
    }
    Ok(url)
}

/// [`check_form`], then resolves the host and checks every address it has.
pub async fn resolve(raw: &str, cfg: &LtiConfig, consumer_hosts: &[String]) -> Result<Target, UrlError> {
    let url = check_form(raw, cfg, consumer_hosts)?;
    let host = url.host_str().ok_or(UrlError::NotHttp)?.to_owned();
    let port = url.port_or_known_default().ok_or(UrlError::NotHttp)?;
    let lookup = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((lookup.as_str(), port))
        .await
        .map_err(|_| UrlError::Unresolved(host.clone()))?
        .collect();
    let first = *addrs.first().ok_or_else(|| UrlError::Unresolved(host.clone()))?;
    if !cfg.allow_private_outcome_urls && addrs.iter().any(|a| is_internal(a.ip())) {
        return Err(UrlError::Private(host));
    }
    Ok(Target { url, host: lookup, addr: first })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(private: bool, hosts: &[&str]) -> LtiConfig {
        LtiConfig {
            allow_private_outcome_urls: private,
            allowed_outcome_hosts: super::super::HostList(hosts.iter().map(|h| (*h).to_owned()).collect()),
            ..LtiConfig::default()
        }
    }

    #[test]
    fn internal_addresses() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1"] {
            assert!(is_internal(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "2002:7f00:1::", "::192.168.0.1"]
        {
            assert!(is_internal(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["192.0.0.8", "64:ff9b:1::1"] {
            assert!(is_internal(ip.parse().expect("ip")), "{ip}");
        }
        // The same forms around a public IPv4 address reach the internet, not a network.
        for ip in ["8.8.8.8", "2606:4700::1111", "93.184.216.34", "64:ff9b::808:808", "2002:808:808::1", "::8.8.8.8"] {
            assert!(!is_internal(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn form_checks() {
        let strict = cfg(false, &[]);
        assert!(check_form("https://lms.example.edu/grades", &strict, &[]).is_ok());
        assert_eq!(check_form("ftp://lms.example.edu/", &strict, &[]), Err(UrlError::NotHttp));
        assert_eq!(check_form("https://u:p@lms.example.edu/", &strict, &[]), Err(UrlError::NotHttp));
        for private in [
            "http://127.0.0.1:9/x",
            "http://[::1]/x",
            "http://localhost/x",
            "http://169.254.169.254/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[64:ff9b:1::a00:1]/",
            "http://[2002:a9fe:a9fe::1]/",
            "http://[2002:c0a8:0101::]/",
            "http://[::a9fe:a9fe]/",
            "http://[::7f00:1]/",
            "http://192.0.0.1/",
            "http://192.0.0.170/",
        ] {
            assert!(matches!(check_form(private, &strict, &[]), Err(UrlError::Private(_))), "{private}");
            assert!(check_form(private, &cfg(true, &[]), &[]).is_ok(), "{private}");
        }
        let listed = cfg(false, &["lms.example.edu"]);
        assert!(check_form("https://LMS.example.edu/g", &listed, &[]).is_ok());
        assert_eq!(
            check_form("https://evil.example/g", &listed, &[]),
            Err(UrlError::HostNotAllowed("evil.example".into()))
        );
        // The consumer's own list replaces the global one.
        assert!(check_form("https://evil.example/g", &listed, &["evil.example".into()]).is_ok());
    }

    #[tokio::test]
    async fn resolution_is_checked_too() {
        // A name that does not resolve is an error worth retrying later.
        let r = resolve("http://localtest.invalid./", &cfg(false, &[]), &[]).await;
        assert!(matches!(r, Err(UrlError::Unresolved(_))), "{r:?}");
        // A name (not an IP literal, not "localhost") that resolves to an internal address
        // is refused: this machine's own name, when it resolves to loopback or private.
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let name = name.trim();
        let addrs: Vec<_> = tokio::net::lookup_host((name, 80)).await.map(Iterator::collect).unwrap_or_default();
        if !name.is_empty() && !addrs.is_empty() && addrs.iter().all(|a: &SocketAddr| is_internal(a.ip())) {
            let r = resolve(&format!("http://{name}:8123/x"), &cfg(false, &[]), &[]).await;
            assert_eq!(r, Err(UrlError::Private(name.to_ascii_lowercase())));
        }
        let t = resolve("http://127.0.0.1:8123/x", &cfg(true, &[]), &[]).await.expect("allowed in dev");
        assert_eq!(t.addr.port(), 8123);
    }
}
