//! What a person is told about a body a server sent when it is not the
//! document that was expected: its content type, and a short, clean
//! summary of it. An HTML page (a proxy's error page, a login wall) is
//! reduced to its `<title>`, never pasted raw (300 characters of
//! `<head><style>` explain nothing); other text is cut short, on one line,
//! without control characters (a server's text must not move the cursor of
//! the terminal it is shown in).

use crate::text::printable;

/// Longest summary of a text body, in characters.
const MAX_TEXT: usize = 200;

/// The media type of a `Content-Type` header value, without parameters
/// (`text/html; charset=utf-8` → `text/html`); `None` when absent or empty.
pub fn media_type(header: Option<&str>) -> Option<String> {
    let t = header?.split(';').next()?.trim().to_ascii_lowercase();
    (!t.is_empty()).then(|| printable(&t, 100))
}

/// The content type as a phrase for messages: `content type text/html`,
/// or `no content type`.
pub fn content_type_phrase(header: Option<&str>) -> String {
    match media_type(header) {
        Some(t) => format!("content type {t}"),
        None => "no content type".to_string(),
    }
}

/// Is this body an HTML page? By its content type, else by its first tag.
pub fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    if let Some(t) = media_type(content_type) {
        return t == "text/html" || t == "application/xhtml+xml";
    }
    let start = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    let start = start.trim_start();
    start.starts_with("<!doctype html") || start.starts_with("<html") || start.starts_with("<head")
}

/// The text of an HTML page's `<title>`, entities for the common
/// characters decoded, whitespace collapsed; `None` when there is none.
pub fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title = text[start..end]
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ");
    let title = printable(&title, MAX_TEXT);
    (!title.is_empty()).then_some(title)
}

/// A short summary of a body for a message: an HTML page's title (quoted),
/// or the start of a text body; `None` for an HTML page without a title and
/// for an empty body (the caller then names the status line).
pub fn summary(content_type: Option<&str>, body: &[u8]) -> Option<String> {
    if is_html(content_type, body) {
        return html_title(body).map(|t| format!("an HTML page titled \"{t}\""));
    }
    let text = printable(&String::from_utf8_lossy(body), MAX_TEXT);
    (!text.is_empty()).then_some(text)
}

/// Why a body that should be JSON is not, for a message: `not JSON,
/// content type text/html: an HTML page titled "Sign in"`.
pub fn not_json(content_type: Option<&str>, body: &[u8]) -> String {
    let page = if is_html(content_type, body) {
        html_title(body)
            .map(|t| format!(": an HTML page titled \"{t}\""))
            .unwrap_or_else(|| ": an HTML page".to_string())
    } else {
        String::new()
    };
    format!("not JSON, {}{page}", content_type_phrase(content_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<!DOCTYPE html>\n<html><head><style>body{margin:0;font:14px sans-serif}\
        </style>\n<TITLE>502 Bad\n  Gateway &amp; friends</TITLE></head><body><h1>nginx</h1></body></html>";

    #[test]
    fn an_html_page_is_its_title_never_its_markup() {
        assert!(is_html(Some("text/html; charset=utf-8"), b"x"));
        assert!(is_html(None, PAGE.as_bytes()));
        assert!(!is_html(Some("application/json"), PAGE.as_bytes()));
        assert_eq!(
            html_title(PAGE.as_bytes()).as_deref(),
            Some("502 Bad Gateway & friends")
        );
        let s = summary(Some("text/html"), PAGE.as_bytes()).unwrap();
        assert_eq!(s, "an HTML page titled \"502 Bad Gateway & friends\"");
        assert_eq!(
            summary(Some("text/html"), b"<html><body>x</body></html>"),
            None
        );
    }

    #[test]
    fn text_is_one_short_clean_line() {
        assert_eq!(
            summary(Some("text/plain"), b"upstream\r\n\x1b[31mfailed\x07").as_deref(),
            Some("upstream [31mfailed")
        );
        assert_eq!(summary(None, b"  \n"), None);
        let long = "x".repeat(500);
        assert_eq!(
            summary(None, long.as_bytes()).unwrap().chars().count(),
            MAX_TEXT
        );
    }

    #[test]
    fn content_types_are_named_without_parameters() {
        assert_eq!(
            content_type_phrase(Some("Text/HTML; charset=UTF-8")),
            "content type text/html"
        );
        assert_eq!(content_type_phrase(Some(" ")), "no content type");
        assert_eq!(content_type_phrase(None), "no content type");
    }
}
