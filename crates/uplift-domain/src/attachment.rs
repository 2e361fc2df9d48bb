//! Files attached to records (visit photos, scanned minutes, rectification evidence): which
//! types and sizes are accepted.
//!
//! The type is read from the file's first bytes, never trusted from the name or the declared
//! type, and an upload whose declared type disagrees is refused: a browser that calls a GIF
//! `image/jpeg` has sent something else than the user thinks.

use std::fmt;

/// The largest attachment accepted, in bytes (2 MiB).
///
/// Why this figure: attachments are photos taken on village visits and uploaded from phones on
/// poor mobile signal, and scanned one-page documents. A phone photo saved at the upload form's
/// suggested size (1600 px on the long side, JPEG quality ~80) is 200–600 KB; 2 MiB leaves room
/// for a full-resolution scan of one page while keeping a single upload short enough to finish
/// on a slow connection. The content is stored in the database as base64 TEXT (4/3 of the
/// size), so one row stays under 3 MB on both backends.
pub const MAX_ATTACHMENT_BYTES: usize = 2 * 1024 * 1024;

/// The accepted attachment types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    Jpeg,
    Png,
    Pdf,
}

impl ContentType {
    pub const ALL: [ContentType; 3] = [ContentType::Jpeg, ContentType::Png, ContentType::Pdf];

    pub fn mime(self) -> &'static str {
        match self {
            ContentType::Jpeg => "image/jpeg",
            ContentType::Png => "image/png",
            ContentType::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ContentType::Jpeg => "jpg",
            ContentType::Png => "png",
            ContentType::Pdf => "pdf",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, ContentType::Jpeg | ContentType::Png)
    }

    /// A MIME type as stored or declared (`image/jpg` and `image/pjpeg` are JPEG too).
    pub fn parse(mime: &str) -> Option<ContentType> {
        let base = mime
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match base.as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(ContentType::Jpeg),
            "image/png" => Some(ContentType::Png),
            "application/pdf" => Some(ContentType::Pdf),
            _ => None,
        }
    }

    /// The type the bytes are, by their signature.
    pub fn sniff(bytes: &[u8]) -> Option<ContentType> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ContentType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ContentType::Png)
        } else if bytes.starts_with(b"%PDF-") {
            Some(ContentType::Pdf)
        } else {
            None
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

/// Why an attachment is refused. The messages name the file and say what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("{filename}: the file is empty")]
    Empty { filename: String },
    #[error(
        "{filename}: the file is {} and the limit is {}; send a smaller photo (for example 1600 pixels on the long side)",
        human_size(*size as u64),
        human_size(*limit as u64)
    )]
    TooLarge {
        filename: String,
        size: usize,
        limit: usize,
    },
    #[error("{filename}: only JPEG, PNG and PDF files are accepted{}", found.as_ref().map(|f| format!(" (this one is {f})")).unwrap_or_default())]
    WrongType {
        filename: String,
        found: Option<String>,
    },
    #[error("{filename}: the file is {actual} but was sent as {declared}")]
    Mismatch {
        filename: String,
        actual: ContentType,
        declared: String,
    },
    #[error(
        "the file name {0:?} is not allowed (1 to 200 characters, no path or control characters)"
    )]
    BadName(String),
    #[error("the owner kind {0:?} is not allowed (1 to 32 of a-z and _)")]
    BadOwnerKind(String),
}

/// `1.5 MB`, `820 KB`, `12 bytes`.
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{:.1} MB", bytes as f64 / MIB as f64)
    } else if bytes >= KIB {
        format!("{} KB", bytes.div_ceil(KIB))
    } else {
        format!("{bytes} bytes")
    }
}

/// What a byte signature suggests a refused file is, for the error message.
fn describe(bytes: &[u8]) -> Option<String> {
    let known: &[(&[u8], &str)] = &[
        (b"GIF8", "a GIF image"),
        (b"RIFF", "a RIFF file (WebP or WAV)"),
        (b"PK\x03\x04", "a ZIP archive or an Office document"),
        (b"BM", "a BMP image"),
        (b"\xD0\xCF\x11\xE0", "an old Office document"),
    ];
    if let Some((_, name)) = known.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        return Some((*name).to_owned());
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Some("an HEIC or MP4 file".to_owned());
    }
    None
}

/// The file name as stored: the last path segment, 1–200 characters, no control characters.
pub fn clean_filename(name: &str) -> Result<String, AttachmentError> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if last.is_empty()
        || last.chars().count() > 200
        || last.chars().any(char::is_control)
        || last == "."
        || last == ".."
    {
        return Err(AttachmentError::BadName(name.to_owned()));
    }
    Ok(last.to_owned())
}

/// Which records may own attachments is up to the caller; the kind's spelling is checked here.
pub fn check_owner_kind(kind: &str) -> Result<(), AttachmentError> {
    if !kind.is_empty()
        && kind.len() <= 32
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        Ok(())
    } else {
        Err(AttachmentError::BadOwnerKind(kind.to_owned()))
    }
}

/// Checks an upload: not empty, at most `limit` bytes, JPEG, PNG or PDF by its bytes, and, when
/// the sender declared a type (other than the generic `application/octet-stream`), that type.
pub fn check(
    filename: &str,
    declared: Option<&str>,
    bytes: &[u8],
    limit: usize,
) -> Result<ContentType, AttachmentError> {
    let filename = filename.to_owned();
    if bytes.is_empty() {
        return Err(AttachmentError::Empty { filename });
    }
    if bytes.len() > limit {
        return Err(AttachmentError::TooLarge {
            filename,
            size: bytes.len(),
            limit,
        });
    }
    let Some(actual) = ContentType::sniff(bytes) else {
        return Err(AttachmentError::WrongType {
            filename,
            found: describe(bytes),
        });
    };
    if let Some(declared) = declared
        .map(str::trim)
        .filter(|d| !d.is_empty() && !d.eq_ignore_ascii_case("application/octet-stream"))
        && ContentType::parse(declared) != Some(actual)
    {
        return Err(AttachmentError::Mismatch {
            filename,
            actual,
            declared: declared.to_owned(),
        });
    }
    Ok(actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn accepted_types_by_their_bytes() {
        type Case<'a> = (&'a [u8], Option<&'a str>, Result<ContentType, &'a str>);
        let cases: &[Case] = &[
            (JPEG, Some("image/jpeg"), Ok(ContentType::Jpeg)),
            (JPEG, Some("image/jpg"), Ok(ContentType::Jpeg)),
            (JPEG, None, Ok(ContentType::Jpeg)),
            (
                JPEG,
                Some("application/octet-stream"),
                Ok(ContentType::Jpeg),
            ),
            (PNG, Some("image/png"), Ok(ContentType::Png)),
            (b"%PDF-1.7\n", Some("application/pdf"), Ok(ContentType::Pdf)),
            (b"GIF89a....", Some("image/gif"), Err("GIF")),
            (b"hello", Some("text/plain"), Err("only JPEG, PNG and PDF")),
            (
                PNG,
                Some("image/jpeg"),
                Err("is image/png but was sent as image/jpeg"),
            ),
            (b"", Some("image/jpeg"), Err("empty")),
        ];
        for (bytes, declared, want) in cases {
            let got = check("p.jpg", *declared, bytes, 100);
            match (got, want) {
                (Ok(t), Ok(w)) => assert_eq!(t, *w),
                (Err(e), Err(w)) => assert!(e.to_string().contains(w), "{e} lacks {w}"),
                (got, want) => panic!("{bytes:?} {declared:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn the_size_limit_is_inclusive_and_the_message_gives_both_sizes() {
        let mut at = JPEG.to_vec();
        at.resize(MAX_ATTACHMENT_BYTES, 0);
        assert_eq!(
            check("a.jpg", None, &at, MAX_ATTACHMENT_BYTES),
            Ok(ContentType::Jpeg)
        );
        at.push(0);
        let err = check("big.jpg", None, &at, MAX_ATTACHMENT_BYTES).unwrap_err();
        assert!(matches!(err, AttachmentError::TooLarge { .. }));
        let text = err.to_string();
        assert!(
            text.starts_with("big.jpg: the file is 2.0 MB and the limit is 2.0 MB"),
            "{text}"
        );
    }

    #[test]
    fn names_and_owner_kinds() {
        assert_eq!(
            clean_filename("C:\\DCIM\\照片 1.jpg").unwrap(),
            "照片 1.jpg"
        );
        assert_eq!(clean_filename("../../etc/x.png").unwrap(), "x.png");
        assert!(clean_filename("").is_err());
        assert!(clean_filename("dir/").is_err());
        assert!(clean_filename("a\u{0}b").is_err());
        assert!(clean_filename(&"x".repeat(201)).is_err());
        assert!(check_owner_kind("visit").is_ok());
        assert!(check_owner_kind("rectification_item").is_ok());
        assert!(check_owner_kind("Visit").is_err());
        assert!(check_owner_kind("").is_err());
        assert!(check_owner_kind(&"a".repeat(33)).is_err());
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(12), "12 bytes");
        assert_eq!(human_size(1024), "1 KB");
        assert_eq!(human_size(1025), "2 KB");
        assert_eq!(human_size(3 * 1024 * 1024 + 512 * 1024), "3.5 MB");
    }

    #[test]
    fn mime_round_trips() {
        for t in ContentType::ALL {
            assert_eq!(ContentType::parse(t.mime()), Some(t));
        }
        assert_eq!(
            ContentType::parse("image/jpeg; charset=binary"),
            Some(ContentType::Jpeg)
        );
        assert_eq!(ContentType::parse("image/gif"), None);
    }
}
