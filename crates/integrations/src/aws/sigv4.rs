//! AWS Signature Version 4 (header form), and where credentials come from.

use crate::http_client::{percent_decode, percent_encode, Url};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Access key, secret and optional session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs.
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The usual chain's first two links: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
    /// (`AWS_SESSION_TOKEN`), else the profile (`profile`, `$AWS_PROFILE` or `default`) of
    /// `$AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`.
    pub fn from_environment(profile: Option<&str>) -> Option<Credentials> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let (Some(a), Some(s)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            return Some(Credentials {
                access_key_id: a,
                secret_access_key: s,
                session_token: var("AWS_SESSION_TOKEN"),
            });
        }
        let file = var("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".aws/credentials")))?;
        let text = std::fs::read_to_string(file).ok()?;
        let profile = profile
            .map(str::to_string)
            .or_else(|| var("AWS_PROFILE"))
            .unwrap_or_else(|| "default".into());
        Credentials::from_ini(&text, &profile)
    }

    /// One profile of a shared credentials file.
    pub fn from_ini(text: &str, profile: &str) -> Option<Credentials> {
        let mut in_profile = false;
        let (mut a, mut s, mut t) = (None, None, None);
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                in_profile = name.trim() == profile;
                continue;
            }
            if !in_profile {
                continue;
            }
            if let Some((k, v)) = line.split_once('=') {
                let v = v.trim().to_string();
                match k.trim() {
                    "aws_access_key_id" => a = Some(v),
                    "aws_secret_access_key" => s = Some(v),
                    "aws_session_token" => t = Some(v),
                    _ => {}
                }
            }
        }
        Some(Credentials {
            access_key_id: a?,
            secret_access_key: s?,
            session_token: t,
        })
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// HMAC-SHA256 (RFC 2104), the only MAC SigV4 needs.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(data);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// `20150830T123600Z` for a UNIX time in seconds.
pub fn amz_date(epoch_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(epoch_seconds, 0)
        .map(|d| d.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| "19700101T000000Z".into())
}

/// Adds `X-Amz-Date`, `X-Amz-Security-Token` (when the credentials have one) and
/// `Authorization` to `headers` for a request to `url`. `headers` should already hold every
/// header to sign (`Content-Type`, `X-Amz-Target`, `X-Amz-Content-Sha256`...); `Host` is signed
/// from the URL.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    creds: &Credentials,
    region: &str,
    service: &str,
    method: &str,
    url: &Url,
    headers: &mut Vec<(String, String)>,
    body: &[u8],
    epoch_seconds: i64,
) {
    let date_time = amz_date(epoch_seconds);
    let date = &date_time[..8];
    headers.push(("X-Amz-Date".into(), date_time.clone()));
    if let Some(t) = &creds.session_token {
        headers.push(("X-Amz-Security-Token".into(), t.clone()));
    }
    let payload_hash = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-content-sha256"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| sha256_hex(body));
    let mut canon: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    canon.push(("host".into(), url.authority()));
    canon.sort();
    let signed: Vec<&str> = canon.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let canon_headers: String = canon.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    // S3 signs the path as sent; other services encode each segment once more.
    let path = if service == "s3" {
        url.path.clone()
    } else {
        url.path
            .split('/')
            .map(|seg| percent_encode(&percent_decode(seg, false), false))
            .map(|seg| percent_encode(&seg, false))
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut query: Vec<(String, String)> = url
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_encode(&percent_decode(k, true), false),
                percent_encode(&percent_decode(v, true), false),
            )
        })
        .collect();
    query.sort();
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let canonical = format!(
        "{method}\n{path}\n{}\n{canon_headers}\n{signed}\n{payload_hash}",
        query.join("&")
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k_date = hmac_sha256(
        format!("AWS4{}", creds.secret_access_key).as_bytes(),
        date.as_bytes(),
    );
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    let k_signing = hmac_sha256(&k_service, b"aws4_request");
    let signature = hex(&hmac_sha256(&k_signing, to_sign.as_bytes()));
    headers.push((
        "Authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
            creds.access_key_id
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// AWS's published example (IAM ListUsers, "Create a signed AWS API request" in the IAM
    /// user guide's SigV4 walkthrough): the signature AWS documents.
    #[test]
    fn signature_matches_aws_example() {
        let creds = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let url = Url::parse("http://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")
            .expect("url");
        let mut headers = vec![(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        )];
        // 2015-08-30T12:36:00Z
        sign(
            &creds,
            "us-east-1",
            "iam",
            "GET",
            &url,
            &mut headers,
            b"",
            1_440_938_160,
        );
        let auth = &headers.last().expect("signed").1;
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn profiles() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key = S\n[other]\naws_access_key_id=B\naws_secret_access_key=T\naws_session_token=X\n";
        let c = Credentials::from_ini(text, "other").expect("profile");
        assert_eq!(
            (c.access_key_id.as_str(), c.session_token.as_deref()),
            ("B", Some("X"))
        );
        assert!(Credentials::from_ini(text, "missing").is_none());
    }
}
