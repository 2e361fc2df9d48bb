//! Encryption at rest of ID numbers and phones: the one codec every person row goes through.
//!
//! A database is either plain or encrypted; which one is recorded in the `field_encryption`
//! marker row (migration 0016), together with the algorithm and a check value derived from the
//! key. [`Db::unlock`] compares the key it is given with that check value and refuses to open an
//! encrypted database without the right key, so nothing ever reads ciphertext as data.
//!
//! From the 32-byte data key three keys are derived with HMAC-SHA256 under distinct labels: the
//! cipher key, the lookup key and the check value. A stored ID number or phone is
//! `enc:ALG:` + base64(nonce ‖ ciphertext ‖ tag), sealed with a fresh random 96-bit nonce and the
//! column name as associated data (so an ID ciphertext cannot be passed off as a phone). Search
//! goes through `person_versions.id_lookup`: the plain ID number in a plain database, the
//! HMAC-SHA256 of it under the lookup key in an encrypted one.

use std::fmt;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm};
use anyhow::{Context, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand::RngExt;
use sha2::Sha256;
use sm4::Sm4;
use uplift_domain::resident_id::ResidentId;

/// SM4 (GB/T 32907) in Galois/Counter Mode, as in RFC 8998 and GB/T 36624.
type Sm4Gcm = AesGcm<Sm4, U12>;

const LABEL_CIPHER: &[u8] = b"uplift/field-cipher/v1";
const LABEL_LOOKUP: &[u8] = b"uplift/id-lookup/v1";
const LABEL_CHECK: &[u8] = b"uplift/key-check/v1";

/// The algorithms a database may be encrypted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// SM4-GCM, the national standard block cipher in an authenticated mode.
    Sm4Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sm4Gcm => "sm4-gcm",
            Algorithm::Aes256Gcm => "aes-256-gcm",
        }
    }

    pub fn parse(s: &str) -> anyhow::Result<Algorithm> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sm4" | "sm4-gcm" => Ok(Algorithm::Sm4Gcm),
            "aes" | "aes-gcm" | "aes-256-gcm" => Ok(Algorithm::Aes256Gcm),
            other => bail!("unknown cipher {other:?}: use sm4-gcm or aes-256-gcm"),
        }
    }
}

/// The 32-byte data key, from `UPLIFT_DATA_KEY` or a key file: 64 hex digits or base64.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// Parses a key written as 64 hex digits or as base64 of 32 bytes (surrounding blanks ignored).
    pub fn parse(text: &str) -> anyhow::Result<DataKey> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| anyhow!("the data key is not valid hex"))?
        } else {
            B64.decode(t)
                .map_err(|_| anyhow!("the data key must be 64 hex digits or base64 of 32 bytes"))?
        };
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| anyhow!("the data key must be 32 bytes, found {}", b.len()))?;
        Ok(DataKey(key))
    }

    /// A fresh random key, as 64 hex digits.
    pub fn generate_hex() -> String {
        let bytes: [u8; 32] = rand::rng().random();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("any key length");
        mac.update(label);
        mac.finalize().into_bytes().into()
    }

    /// The value the marker row keeps to recognise this key (reveals nothing of the key).
    pub(crate) fn check_value(&self) -> String {
        hex(&self.derive(LABEL_CHECK))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

enum Sealer {
    Sm4(Box<Sm4Gcm>),
    Aes(Box<Aes256Gcm>),
}

/// How person rows store ID numbers and phones: plainly, or sealed under a key.
pub struct FieldCipher {
    inner: Option<Encrypted>,
}

struct Encrypted {
    algorithm: Algorithm,
    sealer: Sealer,
    lookup: Hmac<Sha256>,
}

impl fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            None => f.write_str("FieldCipher(plain)"),
            Some(e) => write!(f, "FieldCipher({})", e.algorithm.name()),
        }
    }
}

/// The stored columns of one person's ID number and phone (see [`FieldCipher::person_columns`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPersonFields {
    /// `person_versions.id_number`: the ID number, or its ciphertext.
    pub id_number: String,
    /// `person_versions.id_lookup`: what search by ID number compares with.
    pub id_lookup: String,
    /// `person_versions.phone`: the phone, or its ciphertext.
    pub phone: Option<String>,
}

const PREFIX: &str = "enc:";
/// How the app encodes a feed row that names a person (`uplift_app::feeds::encode_target`).
const PERSON_TARGET: &str = "P:";

impl FieldCipher {
    /// Stores everything plainly (no key configured).
    pub fn plain() -> FieldCipher {
        FieldCipher { inner: None }
    }

    pub fn new(algorithm: Algorithm, key: &DataKey) -> FieldCipher {
        let k = key.derive(LABEL_CIPHER);
        let sealer = match algorithm {
            Algorithm::Sm4Gcm => Sealer::Sm4(Box::new(
                Sm4Gcm::new_from_slice(&k[..16]).expect("16 bytes"),
            )),
            Algorithm::Aes256Gcm => {
                Sealer::Aes(Box::new(Aes256Gcm::new_from_slice(&k).expect("32 bytes")))
            }
        };
        let lookup = <Hmac<Sha256> as KeyInit>::new_from_slice(&key.derive(LABEL_LOOKUP))
            .expect("any key length");
        FieldCipher {
            inner: Some(Encrypted {
                algorithm,
                sealer,
                lookup,
            }),
        }
    }

    pub fn algorithm(&self) -> Option<Algorithm> {
        self.inner.as_ref().map(|e| e.algorithm)
    }

    /// **The** function that turns a person's plain ID number and phone into stored column
    /// values. Every write of a `person_versions` row must go through it (`person_cells` does).
    pub fn person_columns(
        &self,
        id_number: &ResidentId,
        phone: Option<&str>,
    ) -> StoredPersonFields {
        StoredPersonFields {
            id_number: self.seal("id_number", id_number.as_str()),
            id_lookup: self.lookup_key(id_number.as_str()),
            phone: phone.map(|p| self.seal("phone", p)),
        }
    }

    /// What `person_versions.id_lookup` holds for an ID number (also for a search term).
    pub fn lookup_key(&self, id_number: &str) -> String {
        match &self.inner {
            None => id_number.to_owned(),
            Some(e) => {
                let mut mac = e.lookup.clone();
                mac.update(id_number.as_bytes());
                hex(&mac.finalize().into_bytes())
            }
        }
    }

    /// The stored `(target, target_lookup)` of a feed row's target (`P:<ID number>`,
    /// `H:<household no>` or `R:<village code>`, the app's encoding). A person's ID number is
    /// sealed like `person_versions.id_number` and looked up by the same HMAC key; household and
    /// region targets are stored as they are.
    pub fn feed_target_columns(&self, target: &str) -> (String, String) {
        match target.strip_prefix(PERSON_TARGET) {
            Some(id) if self.inner.is_some() => (
                format!("{PERSON_TARGET}{}", self.seal("feed_target", id)),
                format!("{PERSON_TARGET}{}", self.lookup_key(id)),
            ),
            _ => (target.to_owned(), target.to_owned()),
        }
    }

    /// The inverse of [`FieldCipher::feed_target_columns`]: the plain target of a stored one.
    /// A sealed person target without the key, or a plain one in an encrypted database, is an
    /// error (as for ID numbers).
    pub(crate) fn open_feed_target(&self, stored: &str) -> anyhow::Result<String> {
        match stored.strip_prefix(PERSON_TARGET) {
            Some(id) => Ok(format!("{PERSON_TARGET}{}", self.open("feed_target", id)?)),
            None => Ok(stored.to_owned()),
        }
    }

    pub(crate) fn seal(&self, column: &str, plain: &str) -> String {
        let Some(e) = &self.inner else {
            return plain.to_owned();
        };
        let nonce: [u8; 12] = rand::rng().random();
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: column.as_bytes(),
        };
        let sealed = match &e.sealer {
            Sealer::Sm4(c) => c.encrypt(&nonce.into(), payload),
            Sealer::Aes(c) => c.encrypt(&nonce.into(), payload),
        }
        .expect("GCM seals any short message");
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}:{}", e.algorithm.name(), B64.encode(out))
    }

    /// The plain text of a stored value. A sealed value without a key, or one that does not
    /// open under this key, is an error, never returned as data.
    pub(crate) fn open(&self, column: &str, stored: &str) -> anyhow::Result<String> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            if self.inner.is_some() {
                bail!("{column} is stored in plain text in an encrypted database");
            }
            return Ok(stored.to_owned());
        };
        let Some(e) = &self.inner else {
            bail!(
                "{column} is encrypted and no data key is configured (UPLIFT_DATA_KEY or --key-file)"
            );
        };
        let (alg, body) = rest
            .split_once(':')
            .with_context(|| format!("malformed encrypted {column}"))?;
        if alg != e.algorithm.name() {
            bail!(
                "{column} is sealed with {alg}, the database with {}",
                e.algorithm.name()
            );
        }
        let bytes = B64
            .decode(body)
            .with_context(|| format!("malformed encrypted {column}"))?;
        if bytes.len() < 12 + 16 {
            bail!("malformed encrypted {column}");
        }
        let (nonce, sealed) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().expect("12 bytes");
        let payload = Payload {
            msg: sealed,
            aad: column.as_bytes(),
        };
        let plain = match &e.sealer {
            Sealer::Sm4(c) => c.decrypt(&nonce.into(), payload),
            Sealer::Aes(c) => c.decrypt(&nonce.into(), payload),
        }
        .map_err(|_| anyhow!("{column} does not decrypt under the configured data key"))?;
        String::from_utf8(plain).with_context(|| format!("decrypted {column} is not UTF-8"))
    }

    pub(crate) fn open_opt(
        &self,
        column: &str,
        stored: Option<String>,
    ) -> anyhow::Result<Option<String>> {
        stored.map(|s| self.open(column, &s)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> DataKey {
        DataKey([b; 32])
    }

    #[test]
    fn both_algorithms_round_trip_and_hide_the_text() {
        let id = ResidentId::from_stored("11010519491231002X").unwrap();
        for alg in [Algorithm::Sm4Gcm, Algorithm::Aes256Gcm] {
            let c = FieldCipher::new(alg, &key(7));
            let s = c.person_columns(&id, Some("13800138000"));
            assert!(s.id_number.starts_with(&format!("enc:{}:", alg.name())));
            assert!(!s.id_number.contains("11010519491231002X"));
            assert!(!s.phone.as_deref().unwrap().contains("13800138000"));
            assert_eq!(c.open("id_number", &s.id_number).unwrap(), id.as_str());
            assert_eq!(
                c.open_opt("phone", s.phone.clone()).unwrap().unwrap(),
                "13800138000"
            );
            // Fresh nonces: the same ID seals differently, looks up the same.
            let again = c.person_columns(&id, None);
            assert_ne!(again.id_number, s.id_number);
            assert_eq!(again.id_lookup, s.id_lookup);
            assert_eq!(s.id_lookup.len(), 64);
            // The column is bound: an ID ciphertext does not open as a phone.
            assert!(c.open("phone", &s.id_number).is_err());
            // Another key neither opens it nor finds it.
            let other = FieldCipher::new(alg, &key(8));
            assert!(other.open("id_number", &s.id_number).is_err());
            assert_ne!(other.lookup_key(id.as_str()), s.id_lookup);
            // No key: an error, not ciphertext.
            assert!(
                FieldCipher::plain()
                    .open("id_number", &s.id_number)
                    .is_err()
            );
        }
    }

    #[test]
    fn a_tampered_ciphertext_is_refused() {
        let c = FieldCipher::new(Algorithm::Sm4Gcm, &key(1));
        let s = c.seal("id_number", "11010519491231002X");
        let mut bytes = B64.decode(s.rsplit(':').next().unwrap()).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let bad = format!("enc:sm4-gcm:{}", B64.encode(bytes));
        assert!(c.open("id_number", &bad).is_err());
    }

    #[test]
    fn feed_targets_seal_person_ids_only_and_look_up_like_id_numbers() {
        let id = "11010519491231002X";
        let c = FieldCipher::new(Algorithm::Sm4Gcm, &key(3));
        let (stored, lookup) = c.feed_target_columns(&format!("P:{id}"));
        assert!(stored.starts_with("P:enc:sm4-gcm:"), "{stored}");
        assert!(!stored.contains(id) && !lookup.contains(id));
        assert_eq!(lookup, format!("P:{}", c.lookup_key(id)));
        assert_eq!(c.open_feed_target(&stored).unwrap(), format!("P:{id}"));
        // Households and villages are not personal data: stored as they are.
        for t in ["H:4310260010001", "R:431026100200"] {
            assert_eq!(c.feed_target_columns(t), (t.to_owned(), t.to_owned()));
            assert_eq!(c.open_feed_target(t).unwrap(), t);
        }
        // An ID sealed for a person row does not open as a feed target, nor without the key,
        // and a plain target in an encrypted database is refused.
        let person = c.seal("id_number", id);
        assert!(c.open_feed_target(&format!("P:{person}")).is_err());
        assert!(FieldCipher::plain().open_feed_target(&stored).is_err());
        assert!(c.open_feed_target(&format!("P:{id}")).is_err());
        // A plain database keeps the target and looks it up by itself.
        let plain = FieldCipher::plain();
        let t = format!("P:{id}");
        assert_eq!(plain.feed_target_columns(&t), (t.clone(), t.clone()));
        assert_eq!(plain.open_feed_target(&t).unwrap(), t);
    }

    #[test]
    fn plain_cipher_stores_plainly() {
        let c = FieldCipher::plain();
        let id = ResidentId::from_stored("11010519491231002X").unwrap();
        let s = c.person_columns(&id, Some("1"));
        assert_eq!(s.id_number, id.as_str());
        assert_eq!(s.id_lookup, id.as_str());
        assert_eq!(s.phone.as_deref(), Some("1"));
    }

    #[test]
    fn keys_parse_from_hex_and_base64_only_at_32_bytes() {
        let hex = DataKey::generate_hex();
        assert!(DataKey::parse(&format!(" {hex}\n")).is_ok());
        assert!(DataKey::parse(&B64.encode([3u8; 32])).is_ok());
        assert!(DataKey::parse(&B64.encode([3u8; 16])).is_err());
        assert!(DataKey::parse("not a key").is_err());
        assert_eq!(Algorithm::parse("SM4").unwrap(), Algorithm::Sm4Gcm);
        assert!(Algorithm::parse("des").is_err());
    }
}
